package dynamics_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestProfMatch(t *testing.T) {
	e := newMatchEnv(t)
	const n = 100_000
	recs := make([]map[string]any, 0, n)
	for i := range n {
		recs = append(recs, map[string]any{"sluice_externalid": fmt.Sprintf("EXT-%d", i), "firstname": "F", "lastname": fmt.Sprint("L", i), "emailaddress1": fmt.Sprintf("p%d@example.com", i), "jobtitle": "Engineer"})
	}
	start := time.Now()
	if _, err := e.srv.Insert(context.Background(), "contact", recs...); err != nil {
		t.Fatal(err)
	}
	t.Log("insert", time.Since(start))
	s := e.sink(people, `table = "contact"
match {
  rule "id" { equals = { sluice_externalid = "ext" } }
  rule "email" { equals = { emailaddress1 = "email" } }
}`+peopleMapping)
	start = time.Now()
	for b := range 10 {
		var rows [][]any
		for i := b * 1000; i < (b+1)*1000; i++ {
			ext := fmt.Sprintf("EXT-%d", i)
			if i%2 == 0 {
				ext = ""
			}
			rows = append(rows, person(ext, fmt.Sprintf("p%d@example.com", i), "F", fmt.Sprint("L", i), "", "Manager", "", 0))
		}
		e.write(s, people, rows...)
	}
	t.Log("10 batches", time.Since(start))
}
