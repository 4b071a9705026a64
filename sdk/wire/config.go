package wire

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"

	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// encodeValue encodes a configuration value as Terraform's protocol does:
// msgpack of the value with its type as JSON beside it. Marks (sensitive
// values) do not cross: the engine has already noted what to redact.
func encodeValue(v cty.Value) (*pb.DynamicValue, error) {
	v, _ = v.UnmarkDeep()
	ty := v.Type()
	tj, err := ctyjson.MarshalType(ty)
	if err != nil {
		return nil, fmt.Errorf("encoding configuration type: %w", err)
	}
	mp, err := ctymsgpack.Marshal(v, ty)
	if err != nil {
		return nil, fmt.Errorf("encoding configuration: %w", err)
	}
	return &pb.DynamicValue{Msgpack: mp, TypeJson: tj}, nil
}

func decodeValue(dv *pb.DynamicValue) (cty.Value, error) {
	if dv == nil {
		return cty.NilVal, fmt.Errorf("no configuration value")
	}
	ty, err := ctyjson.UnmarshalType(dv.TypeJson)
	if err != nil {
		return cty.NilVal, fmt.Errorf("decoding configuration type: %w", err)
	}
	v, err := ctymsgpack.Unmarshal(dv.Msgpack, ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("decoding configuration: %w", err)
	}
	return v, nil
}
