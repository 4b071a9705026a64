package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sluicedata/sluice/sdk"
)

// fileStore keeps state in a bbolt file: one bucket per pipeline, holding
// checkpoints, one bucket per sink snapshot, and the runs.
type fileStore struct {
	db       *bolt.DB
	path     string
	pipeline []byte
}

var (
	bucketCheckpoints = []byte("checkpoints")
	bucketSnapshots   = []byte("snapshots")
	bucketRuns        = []byte("runs")
	bucketRows        = []byte("rows")
	keyFingerprint    = []byte("fingerprint")
)

// OpenFile opens the state file at path, creating it and its directory, for
// the named pipeline; each pipeline has its own file. Only one run can hold
// the file at a time: a second run of the same pipeline fails instead of
// mixing its state with the first's.
func OpenFile(path, pipeline string) (Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("state: %s is in use by another run of this pipeline", path)
	}
	if err != nil {
		return nil, fmt.Errorf("state: opening %s: %w", path, err)
	}
	s := &fileStore{db: db, path: path, pipeline: []byte(pipeline)}
	err = db.Update(func(tx *bolt.Tx) error {
		p, err := tx.CreateBucketIfNotExists(s.pipeline)
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bucketCheckpoints, bucketSnapshots, bucketRuns} {
			if _, err := p.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("state: preparing %s: %w", path, err)
	}
	return s, nil
}

func (s *fileStore) bucket(tx *bolt.Tx, name []byte) *bolt.Bucket {
	return tx.Bucket(s.pipeline).Bucket(name)
}

func (s *fileStore) Checkpoints(context.Context) (map[string]sdk.Checkpoint, error) {
	out := map[string]sdk.Checkpoint{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return s.bucket(tx, bucketCheckpoints).ForEach(func(k, v []byte) error {
			out[string(k)] = append(sdk.Checkpoint(nil), v...)
			return nil
		})
	})
	return out, wrap(err, "reading checkpoints")
}

func (s *fileStore) SaveCheckpoint(_ context.Context, source string, cp sdk.Checkpoint) error {
	return wrap(s.db.Update(func(tx *bolt.Tx) error {
		return s.bucket(tx, bucketCheckpoints).Put([]byte(source), cp)
	}), "saving checkpoint")
}

func (s *fileStore) ClearCheckpoint(_ context.Context, source string) error {
	return wrap(s.db.Update(func(tx *bolt.Tx) error {
		return s.bucket(tx, bucketCheckpoints).Delete([]byte(source))
	}), "clearing checkpoint")
}

func (s *fileStore) Snapshot(_ context.Context, sink string) (*Snapshot, error) {
	snap := &Snapshot{Rows: map[Key]Hash{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := s.bucket(tx, bucketSnapshots).Bucket([]byte(sink))
		if b == nil {
			return nil
		}
		snap.Fingerprint = string(b.Get(keyFingerprint))
		rows := b.Bucket(bucketRows)
		if rows == nil {
			return nil
		}
		return rows.ForEach(func(k, v []byte) error {
			var key Key
			var hash Hash
			copy(key[:], k)
			copy(hash[:], v)
			snap.Rows[key] = hash
			return nil
		})
	})
	return snap, wrap(err, "reading snapshot of "+sink)
}

func (s *fileStore) UpdateSnapshot(_ context.Context, sink, fingerprint string, put []Entry, remove []Key) error {
	// In key order: bbolt splits a leaf only when the transaction commits,
	// so keys put in random order into a new or small bucket are each
	// inserted into the middle of one ever longer leaf — 2 s for 50,000
	// keys, against 0.1 s in order. Stable, so that of two entries of one
	// key the later still wins.
	put = slices.Clone(put)
	slices.SortStableFunc(put, func(a, b Entry) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	return wrap(s.db.Update(func(tx *bolt.Tx) error {
		b, err := s.bucket(tx, bucketSnapshots).CreateBucketIfNotExists([]byte(sink))
		if err != nil {
			return err
		}
		if err := b.Put(keyFingerprint, []byte(fingerprint)); err != nil {
			return err
		}
		rows, err := b.CreateBucketIfNotExists(bucketRows)
		if err != nil {
			return err
		}
		for _, e := range put {
			// The row hash, then the key values.
			v := make([]byte, 0, len(e.Hash)+len(e.Values))
			v = append(append(v, e.Hash[:]...), e.Values...)
			if err := rows.Put(e.Key[:], v); err != nil {
				return err
			}
		}
		for _, k := range remove {
			if err := rows.Delete(k[:]); err != nil {
				return err
			}
		}
		return nil
	}), "updating snapshot of "+sink)
}

func (s *fileStore) SnapshotKeys(_ context.Context, sink string, keys []Key) ([][]byte, error) {
	out := make([][]byte, len(keys))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := s.bucket(tx, bucketSnapshots).Bucket([]byte(sink))
		if b == nil || b.Bucket(bucketRows) == nil {
			return fmt.Errorf("no snapshot")
		}
		rows := b.Bucket(bucketRows)
		for i, k := range keys {
			v := rows.Get(k[:])
			if len(v) < len(Hash{}) {
				return fmt.Errorf("key %x is not in the snapshot", k)
			}
			out[i] = append([]byte(nil), v[len(Hash{}):]...)
		}
		return nil
	})
	return out, wrap(err, "reading snapshot keys of "+sink)
}

func (s *fileStore) ResetSnapshot(_ context.Context, sink string) error {
	return wrap(s.db.Update(func(tx *bolt.Tx) error {
		err := s.bucket(tx, bucketSnapshots).DeleteBucket([]byte(sink))
		if errors.Is(err, bolt.ErrBucketNotFound) {
			return nil
		}
		return err
	}), "resetting snapshot of "+sink)
}

func (s *fileStore) StartRun(_ context.Context, started time.Time) (int64, error) {
	var id uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := s.bucket(tx, bucketRuns)
		var err error
		if id, err = b.NextSequence(); err != nil {
			return err
		}
		data, _ := json.Marshal(Run{ID: int64(id), Started: started, Status: "running"})
		return b.Put(runKey(int64(id)), data)
	})
	return int64(id), wrap(err, "recording run")
}

func (s *fileStore) EndRun(_ context.Context, run Run) error {
	data, err := json.Marshal(run)
	if err != nil {
		return err
	}
	return wrap(s.db.Update(func(tx *bolt.Tx) error {
		return s.bucket(tx, bucketRuns).Put(runKey(run.ID), data)
	}), "recording run")
}

func (s *fileStore) Runs(_ context.Context, limit int) ([]Run, error) {
	var out []Run
	err := s.db.View(func(tx *bolt.Tx) error {
		c := s.bucket(tx, bucketRuns).Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var r Run
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, wrap(err, "reading runs")
}

func (s *fileStore) Reset(context.Context) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(s.pipeline); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return err
		}
		p, err := tx.CreateBucket(s.pipeline)
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bucketCheckpoints, bucketSnapshots, bucketRuns} {
			if _, err := p.CreateBucket(name); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(err, "resetting state")
}

func (s *fileStore) Describe(ctx context.Context) (Summary, error) {
	sum := Summary{Backend: "file", Location: s.path, Pipeline: string(s.pipeline), Snapshots: map[string]int{}}
	cps, err := s.Checkpoints(ctx)
	if err != nil {
		return sum, err
	}
	sum.Checkpoints = cps
	err = s.db.View(func(tx *bolt.Tx) error {
		sum.Runs = s.bucket(tx, bucketRuns).Stats().KeyN
		return s.bucket(tx, bucketSnapshots).ForEachBucket(func(k []byte) error {
			if rows := s.bucket(tx, bucketSnapshots).Bucket(k).Bucket(bucketRows); rows != nil {
				sum.Snapshots[string(k)] = rows.Stats().KeyN
			}
			return nil
		})
	})
	return sum, wrap(err, "describing state")
}

func (s *fileStore) Close() error { return s.db.Close() }

func runKey(id int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(id)) }

func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("state: %s: %w", what, err)
}
