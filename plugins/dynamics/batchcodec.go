package dynamics

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
)

// The $batch codec: OData's multipart/mixed batch format, which Dataverse
// requires with CRLF line ends everywhere. The sink sends independent
// requests (no change sets) with Prefer: odata.continue-on-error, so every
// request gets its own answer, in order.

// batchPart is one request inside a $batch.
type batchPart struct {
	method string
	// url is relative to the Web API root, escaped.
	url    string
	header map[string]string
	body   []byte
}

// partResponse is the answer to one part.
type partResponse struct {
	status int
	header http.Header
	body   []byte
}

// encodeBatch returns the body of a $batch request and its Content-Type.
// apiPath is the Web API root's path (/api/data/v9.2), which part URLs are
// made absolute with.
func encodeBatch(apiPath string, parts []batchPart) ([]byte, string) {
	var idBytes [16]byte
	_, _ = rand.Read(idBytes[:])
	boundary := "batch_" + hex.EncodeToString(idBytes[:])
	var b bytes.Buffer
	for _, p := range parts {
		b.WriteString("--")
		b.WriteString(boundary)
		b.WriteString("\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n")
		b.WriteString(p.method)
		b.WriteByte(' ')
		b.WriteString(apiPath)
		b.WriteByte('/')
		b.WriteString(p.url)
		b.WriteString(" HTTP/1.1\r\n")
		for k, v := range p.header {
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteString("\r\n")
		}
		if p.body != nil {
			b.WriteString("Content-Type: application/json; type=entry\r\n\r\n")
			b.Write(p.body)
			b.WriteString("\r\n")
		} else {
			b.WriteString("\r\n")
		}
	}
	b.WriteString("--")
	b.WriteString(boundary)
	b.WriteString("--\r\n")
	return b.Bytes(), `multipart/mixed; boundary="` + boundary + `"`
}

// decodeBatch reads a $batch answer: one response per part, in order.
// Change-set answers are flattened.
func decodeBatch(contentType string, body []byte) ([]partResponse, error) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mediaType, "multipart/") || params["boundary"] == "" {
		return nil, fmt.Errorf("the $batch answer is not multipart (Content-Type %q)", contentType)
	}
	var out []partResponse
	if err := readMultipart(bytes.NewReader(body), params["boundary"], &out); err != nil {
		return nil, fmt.Errorf("reading the $batch answer: %w", err)
	}
	return out, nil
}

func readMultipart(r io.Reader, boundary string, out *[]partResponse) error {
	mr := multipart.NewReader(r, boundary)
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		mediaType, params, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch {
		case strings.HasPrefix(mediaType, "multipart/"):
			if err := readMultipart(part, params["boundary"], out); err != nil {
				return err
			}
		case mediaType == "application/http":
			resp, err := http.ReadResponse(bufio.NewReader(part), nil)
			if err != nil {
				return fmt.Errorf("part %d: %w", len(*out)+1, err)
			}
			data, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return fmt.Errorf("part %d: %w", len(*out)+1, err)
			}
			*out = append(*out, partResponse{status: resp.StatusCode, header: resp.Header, body: data})
		default:
			return fmt.Errorf("part %d has Content-Type %q", len(*out)+1, mediaType)
		}
	}
}
