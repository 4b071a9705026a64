package jsonl
import "github.com/sluicedata/sluice/sdk"

func newSource(cfg SourceConfig) (sdk.Source, error) { return nil, nil }
