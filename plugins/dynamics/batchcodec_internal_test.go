package dynamics

import (
	"strings"
	"testing"
)

// The answer Microsoft documents for a change set followed by a GET
// (execute-batch-operations-using-web-api.md), with CRLF line ends.
const documentedBatchAnswer = `--batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f
Content-Type: multipart/mixed; boundary=changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15

--changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

HTTP/1.1 204 No Content
OData-Version: 4.0
Location: https://org.crm.dynamics.com/api/data/v9.2/tasks(e73ffc82-e292-ed11-aad1-000d3a9933c9)
OData-EntityId: https://org.crm.dynamics.com/api/data/v9.2/tasks(e73ffc82-e292-ed11-aad1-000d3a9933c9)


--changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15--
--batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 400 Bad Request
REQ_ID: 5ecd1cb3-1730-4ffc-909c-d44c22270026
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

{"error":{"code":"0x80044331","message":"A validation error occurred.  The length of the 'subject' attribute of the 'task' entity exceeded the maximum allowed length of '200'."}}
--batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f--
`

func TestDecodeBatchReadsTheDocumentedAnswer(t *testing.T) {
	body := strings.ReplaceAll(documentedBatchAnswer, "\n", "\r\n")
	parts, err := decodeBatch("multipart/mixed; boundary=batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || parts[0].status != 204 || parts[1].status != 400 {
		t.Fatalf("parts %+v", parts)
	}
	e := decodeError(parts[1].status, parts[1].header, parts[1].body)
	if e.Code != "0x80044331" || !strings.Contains(e.Message, "maximum allowed length of '200'") {
		t.Errorf("error %+v", e)
	}
}

func TestEncodeBatchUsesCRLFEverywhere(t *testing.T) {
	body, ct := encodeBatch("/api/data/v9.2", []batchPart{
		{method: "PATCH", url: "contacts(emailaddress1='a%40x.com')", body: []byte(`{"firstname":"A"}`), header: map[string]string{"If-Match": "*"}},
		{method: "DELETE", url: "contacts(00000000-0000-0000-0000-000000000001)"},
	})
	if !strings.HasPrefix(ct, `multipart/mixed; boundary="batch_`) {
		t.Errorf("content type %s", ct)
	}
	text := string(body)
	if strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\n") {
		t.Error("a line ends with a bare LF")
	}
	for _, want := range []string{"PATCH /api/data/v9.2/contacts(emailaddress1='a%40x.com') HTTP/1.1\r\nIf-Match: *\r\nContent-Type: application/json; type=entry\r\n\r\n{\"firstname\":\"A\"}\r\n",
		"DELETE /api/data/v9.2/contacts(00000000-0000-0000-0000-000000000001) HTTP/1.1\r\n\r\n", "--\r\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("body lacks %q:\n%s", want, text)
		}
	}
}
