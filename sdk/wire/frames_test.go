package wire

import (
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/protobuf/proto"

	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// queue is one direction of a stream, in memory. Like gRPC, it serialises
// (here: copies) a message before Send returns.
type queue struct{ msgs []*pb.Msg }

func (q *queue) Send(m *pb.Msg) error { q.msgs = append(q.msgs, proto.Clone(m).(*pb.Msg)); return nil }

func (q *queue) Recv() (*pb.Msg, error) {
	if len(q.msgs) == 0 {
		return nil, io.EOF
	}
	m := q.msgs[0]
	q.msgs = q.msgs[1:]
	return m, nil
}

// A sender that may head frames sends a batch with records as its frames
// alone, the header in the first; one that may not sends the header first.
// The receiver reads both, batches split in parts included.
func TestHeadedFrames(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	rec := func(rows int) arrow.RecordBatch {
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for i := range rows {
			b.Append(fmt.Sprintf("%0100d", i))
		}
		col := b.NewArray()
		defer col.Release()
		return array.NewRecordBatch(schema, []arrow.Array{col}, int64(rows))
	}
	for _, headed := range []bool{false, true} {
		q := &queue{}
		snd := newBatchSender(q, 16<<10, headed) // 1,000 rows split in about 8 parts
		for seq, rows := range []int{1000, 0, 10} {
			var r arrow.RecordBatch
			if rows > 0 {
				r = rec(rows)
			}
			if err := snd.send(&pb.Batch{Seq: uint64(seq)}, r); err != nil {
				t.Fatal(err)
			}
			if r != nil {
				r.Release()
			}
		}
		if first := q.msgs[0]; headed != (first.GetFrame() != nil && first.GetFrame().Batch != nil) {
			t.Errorf("headed %v: the first message is %T", headed, first.Body)
		}
		headers := 0
		for _, m := range q.msgs {
			if m.GetBatch() != nil {
				headers++
			}
		}
		if want := map[bool]int{false: 3, true: 1}[headed]; headers != want {
			t.Errorf("headed %v: %d headers sent alone, want %d (the batch without records)", headed, headers, want)
		}
		rcv := newBatchReceiver(q, mem)
		for seq, rows := range []int{1000, 0, 10} {
			m, err := rcv.next()
			if err != nil {
				t.Fatal(err)
			}
			h := m.GetBatch()
			if h == nil || h.Seq != uint64(seq) || h.Rows != int64(rows) {
				t.Fatalf("headed %v: header %v, want seq %d of %d rows", headed, h, seq, rows)
			}
			got, err := rcv.records(h)
			if err != nil {
				t.Fatal(err)
			}
			if rows == 0 && got != nil || rows > 0 && (got == nil || got.NumRows() != int64(rows) || got.Column(0).ValueStr(rows-1) != fmt.Sprintf("%0100d", rows-1)) {
				t.Errorf("headed %v: batch %d: got %v", headed, seq, got)
			}
			if got != nil {
				got.Release()
			}
		}
		rcv.release()
	}
}
