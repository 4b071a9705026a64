package duckdb

import "github.com/apache/arrow-go/v18/arrow"

// utcSchema returns schema without metadata and with every timestamp that
// has a time zone labelled UTC. DuckDB labels TIMESTAMPTZ values with its
// TimeZone setting (the machine's zone by default); the values are UTC
// instants either way, and the label only says how to display them.
// Relabelling, rather than SET TimeZone = 'UTC', spares loading the time
// zone database, half a second per run.
func utcSchema(schema *arrow.Schema) *arrow.Schema {
	fields := make([]arrow.Field, schema.NumFields())
	for i, f := range schema.Fields() {
		f.Type = utcType(f.Type)
		f.Metadata = arrow.Metadata{}
		fields[i] = f
	}
	return arrow.NewSchema(fields, nil)
}

func utcType(dt arrow.DataType) arrow.DataType {
	switch t := dt.(type) {
	case *arrow.TimestampType:
		if t.TimeZone != "" && t.TimeZone != "UTC" {
			return &arrow.TimestampType{Unit: t.Unit, TimeZone: "UTC"}
		}
	case *arrow.ListType:
		elem := t.ElemField()
		elem.Type = utcType(elem.Type)
		return arrow.ListOfField(elem)
	case *arrow.LargeListType:
		elem := t.ElemField()
		elem.Type = utcType(elem.Type)
		return arrow.LargeListOfField(elem)
	case *arrow.StructType:
		fields := t.Fields()
		for i := range fields {
			fields[i].Type = utcType(fields[i].Type)
		}
		return arrow.StructOf(fields...)
	}
	return dt
}
