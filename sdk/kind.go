package sdk

// Kind says which of the three plugin interfaces a plugin implements.
type Kind string

// The three plugin kinds.
const (
	KindSource    Kind = "source"
	KindTransform Kind = "transform"
	KindSink      Kind = "sink"
)

// Valid reports whether k is one of the three kinds.
func (k Kind) Valid() bool {
	return k == KindSource || k == KindTransform || k == KindSink
}
