// Command handwritten is W1 written by hand for one purpose, with
// encoding/csv and encoding/json: the baseline `make bench` compares Sluice
// against. It is kept under testdata so that it is never part of Sluice.
package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	in, err := os.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	out, err := os.Create(os.Args[2])
	if err != nil {
		panic(err)
	}
	w := bufio.NewWriterSize(out, 1<<20)
	r := csv.NewReader(bufio.NewReaderSize(in, 1<<20))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		panic(err)
	}
	header = append([]string(nil), header...)
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	enc := json.NewEncoder(w)
	row := map[string]any{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		ltv, _ := strconv.ParseFloat(rec[col["lifetime_value"]], 64)
		if rec[col["is_active"]] != "true" || ltv <= 100 {
			continue
		}
		for i, h := range header {
			row[h] = rec[i]
		}
		row["lifetime_value"] = ltv
		row["is_active"] = true
		row["email"] = strings.ToLower(strings.TrimSpace(rec[col["email"]]))
		row["full_name"] = rec[col["first_name"]] + " " + rec[col["last_name"]]
		tier := "std"
		if ltv > 1000 {
			tier = "gold"
		}
		row["tier"] = tier
		if err := enc.Encode(row); err != nil {
			panic(err)
		}
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
	fmt.Fprintln(os.Stderr, "done")
}
