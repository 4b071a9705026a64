package dynamics_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
)

// awkwardEmails hold every character Dataverse refuses in a key segment of
// a URL, a quote, and characters that need percent-encoding.
var awkwardEmails = []string{
	"a+b@example.com", "c/d@example.com", "e%f@example.com", "g&h@example.com", "i?j@example.com",
	"k:l@example.com", "m*n@example.com", `o\p@example.com`, "q<r>@example.com", "s#t@example.com",
	"o'brien@example.com", "josé.núñez@example.com", "plain@example.com",
}

func TestKeysWithCharactersAURLRefuses(t *testing.T) {
	bothPaths(t, func(t *testing.T, path string) {
		srv := startEmulator(t)
		host := testhost.New(t)
		schema := schemaOf(col{"email", text}, col{"first", text})
		s := open(t, host, schema, connection(srv)+`
table      = "contact"
key        = { emailaddress1 = "email" }
write_path = "`+path+`"
mapping {
  firstname = "first"
}
`)
		for round, name := range []string{"Created", "Updated"} {
			var rows [][]any
			for _, e := range awkwardEmails {
				email := e
				if round == 1 {
					email = strings.ToUpper(e) // the same records: keys compare without case
				}
				rows = append(rows, []any{email, name})
			}
			res := write(t, s, record(host.Mem, schema, rows...))
			if len(res.Rejects) > 0 {
				t.Fatalf("round %d: rejects %+v", round, res.Rejects)
			}
			got := records(t, srv, "contact", "emailaddress1")
			if len(got) != len(awkwardEmails) {
				t.Fatalf("round %d: %d contacts for %d keys: %v", round, len(got), len(awkwardEmails), got)
			}
			for _, e := range awkwardEmails {
				if got[e]["firstname"] != name {
					t.Errorf("round %d: %s has firstname %v, want %s", round, e, got[e]["firstname"], name)
				}
			}
		}
	})
}

func TestCompositeKeyWithAwkwardValues(t *testing.T) {
	srv := startEmulator(t)
	host := testhost.New(t)
	s := open(t, host, memberInput, connection(srv)+memberMapping+`
count_created = true
mapping {
  sluice_points = "points"
}
`)
	rows := [][]any{
		{"A/1", "eu", nil, nil, nil, nil, nil, 1, nil, nil},
		{"A/1", "us", nil, nil, nil, nil, nil, 2, nil, nil},
		{"B 2", "eu", nil, nil, nil, nil, nil, 3, nil, nil},
	}
	res := write(t, s, record(host.Mem, memberInput, rows...))
	if len(res.Rejects) > 0 || res.Created != 3 {
		t.Fatalf("first write: %+v", res)
	}
	rows[0][7], rows[2][7] = 10, 30
	res = write(t, s, record(host.Mem, memberInput, rows[0], rows[2]))
	if len(res.Rejects) > 0 || res.Updated != 2 || res.Created != 0 {
		t.Fatalf("second write: %+v", res)
	}
	recs, _ := srv.Records("sluice_member")
	points := map[string]string{}
	for _, r := range recs {
		points[fmt.Sprint(r["sluice_code"], "|", r["sluice_region"])] = fmt.Sprint(r["sluice_points"])
	}
	want := map[string]string{"A/1|eu": "10", "A/1|us": "2", "B 2|eu": "30"}
	if fmt.Sprint(points) != fmt.Sprint(want) {
		t.Errorf("members %v, want %v", points, want)
	}
}

func TestRowsOfOneRecordCollapseToTheLast(t *testing.T) {
	bothPaths(t, func(t *testing.T, path string) {
		srv := startEmulator(t)
		host := testhost.New(t)
		schema := schemaOf(col{"email", text}, col{"first", text})
		s := open(t, host, schema, connection(srv)+`
table      = "contact"
key        = { emailaddress1 = "email" }
write_path = "`+path+`"
mapping {
  firstname = "first"
}
`)
		res := write(t, s, record(host.Mem, schema,
			[]any{"a@example.com", "First"}, []any{"b@example.com", "B"}, []any{"A@Example.com  ", "Second"}, []any{"a@example.COM", "Third"}))
		if res.Deduplicated != 2 || len(res.Rejects) != 0 {
			t.Errorf("result %+v, want 2 deduplicated", res)
		}
		got := records(t, srv, "contact", "emailaddress1")
		if len(got) != 2 {
			t.Fatalf("contacts %v", got)
		}
		for email, r := range got {
			if strings.EqualFold(strings.TrimSpace(email), "a@example.com") && r["firstname"] != "Third" {
				t.Errorf("the last row must win: %v", r)
			}
		}
	})
}
