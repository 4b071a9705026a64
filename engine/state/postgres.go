package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sluicedata/sluice/sdk"
)

// postgresStore keeps state in PostgreSQL tables, for teams that run a
// pipeline from several machines and want one history. A session-level
// advisory lock on a connection held for the store's life keeps two runs of
// one pipeline apart, wherever they run.
type postgresStore struct {
	pool     *pgxpool.Pool
	lock     *pgxpool.Conn
	pipeline string
	location string
}

const postgresSchema = `
CREATE TABLE IF NOT EXISTS sluice_checkpoints (
	pipeline   text NOT NULL,
	source     text NOT NULL,
	checkpoint bytea NOT NULL,
	saved_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (pipeline, source)
);
CREATE TABLE IF NOT EXISTS sluice_snapshots (
	pipeline    text NOT NULL,
	sink        text NOT NULL,
	fingerprint text NOT NULL,
	PRIMARY KEY (pipeline, sink)
);
CREATE TABLE IF NOT EXISTS sluice_snapshot_rows (
	pipeline   text NOT NULL,
	sink       text NOT NULL,
	key        bytea NOT NULL,
	hash       bytea NOT NULL,
	key_values bytea,
	PRIMARY KEY (pipeline, sink, key)
);
CREATE TABLE IF NOT EXISTS sluice_runs (
	pipeline text NOT NULL,
	id       bigint NOT NULL,
	started  timestamptz NOT NULL,
	ended    timestamptz,
	status   text NOT NULL,
	error    text,
	nodes    jsonb,
	rejected bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (pipeline, id)
);`

// OpenPostgres connects to the PostgreSQL database at url, creating the
// state tables if needed, for the named pipeline. It fails when another run
// of the pipeline holds its lock.
func OpenPostgres(ctx context.Context, url, pipeline string) (Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("state: invalid PostgreSQL url: %w", scrubbed(err))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("state: connecting to PostgreSQL: %w", scrubbed(err))
	}
	s := &postgresStore{pool: pool, pipeline: pipeline, location: fmt.Sprintf("postgres://%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)}
	if _, err := pool.Exec(ctx, postgresSchema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("state: creating the state tables: %w", scrubbed(err))
	}
	if s.lock, err = pool.Acquire(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("state: connecting to PostgreSQL: %w", scrubbed(err))
	}
	var locked bool
	if err := s.lock.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended('sluice:' || $1, 0))`, pipeline).Scan(&locked); err != nil || !locked {
		s.lock.Release()
		pool.Close()
		if err != nil {
			return nil, fmt.Errorf("state: locking pipeline %q: %w", pipeline, scrubbed(err))
		}
		return nil, fmt.Errorf("state: pipeline %q is in use by another run (its lock in %s is held)", pipeline, s.location)
	}
	return s, nil
}

// scrubbed drops a connection error's wrapped details, which can include
// the connection string.
func scrubbed(err error) error {
	var pgErr interface{ SQLState() string }
	if errors.As(err, &pgErr) {
		return err
	}
	return errors.New(err.Error())
}

func (s *postgresStore) Checkpoints(ctx context.Context) (map[string]sdk.Checkpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT source, checkpoint FROM sluice_checkpoints WHERE pipeline = $1`, s.pipeline)
	if err != nil {
		return nil, wrap(err, "reading checkpoints")
	}
	out := map[string]sdk.Checkpoint{}
	for rows.Next() {
		var source string
		var cp []byte
		if err := rows.Scan(&source, &cp); err != nil {
			return nil, wrap(err, "reading checkpoints")
		}
		out[source] = cp
	}
	return out, wrap(rows.Err(), "reading checkpoints")
}

func (s *postgresStore) SaveCheckpoint(ctx context.Context, source string, cp sdk.Checkpoint) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sluice_checkpoints (pipeline, source, checkpoint) VALUES ($1, $2, $3)
		ON CONFLICT (pipeline, source) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, saved_at = now()`, s.pipeline, source, []byte(cp))
	return wrap(err, "saving checkpoint")
}

func (s *postgresStore) ClearCheckpoint(ctx context.Context, source string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sluice_checkpoints WHERE pipeline = $1 AND source = $2`, s.pipeline, source)
	return wrap(err, "clearing checkpoint")
}

func (s *postgresStore) Snapshot(ctx context.Context, sink string) (*Snapshot, error) {
	snap := &Snapshot{Rows: map[Key]Hash{}}
	err := s.pool.QueryRow(ctx, `SELECT fingerprint FROM sluice_snapshots WHERE pipeline = $1 AND sink = $2`, s.pipeline, sink).Scan(&snap.Fingerprint)
	if errors.Is(err, pgx.ErrNoRows) {
		return snap, nil
	}
	if err != nil {
		return nil, wrap(err, "reading snapshot of "+sink)
	}
	rows, err := s.pool.Query(ctx, `SELECT key, hash FROM sluice_snapshot_rows WHERE pipeline = $1 AND sink = $2`, s.pipeline, sink)
	if err != nil {
		return nil, wrap(err, "reading snapshot of "+sink)
	}
	var key, hash []byte
	_, err = pgx.ForEachRow(rows, []any{&key, &hash}, func() error {
		var k Key
		var h Hash
		copy(k[:], key)
		copy(h[:], hash)
		snap.Rows[k] = h
		return nil
	})
	return snap, wrap(err, "reading snapshot of "+sink)
}

func (s *postgresStore) UpdateSnapshot(ctx context.Context, sink, fingerprint string, put []Entry, remove []Key) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO sluice_snapshots (pipeline, sink, fingerprint) VALUES ($1, $2, $3)
			ON CONFLICT (pipeline, sink) DO UPDATE SET fingerprint = EXCLUDED.fingerprint`, s.pipeline, sink, fingerprint); err != nil {
			return err
		}
		if len(put) > 0 {
			if _, err := tx.Exec(ctx, `CREATE TEMP TABLE sluice_put (key bytea, hash bytea, key_values bytea) ON COMMIT DROP`); err != nil {
				return err
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"sluice_put"}, []string{"key", "hash", "key_values"},
				pgx.CopyFromSlice(len(put), func(i int) ([]any, error) {
					return []any{put[i].Key[:], put[i].Hash[:], put[i].Values}, nil
				})); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO sluice_snapshot_rows (pipeline, sink, key, hash, key_values)
				SELECT DISTINCT ON (key) $1, $2, key, hash, key_values FROM sluice_put
				ON CONFLICT (pipeline, sink, key) DO UPDATE SET hash = EXCLUDED.hash, key_values = EXCLUDED.key_values`, s.pipeline, sink); err != nil {
				return err
			}
		}
		if len(remove) > 0 {
			keys := make([][]byte, len(remove))
			for i := range remove {
				keys[i] = remove[i][:]
			}
			if _, err := tx.Exec(ctx, `DELETE FROM sluice_snapshot_rows WHERE pipeline = $1 AND sink = $2 AND key = ANY($3)`, s.pipeline, sink, keys); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(err, "updating snapshot of "+sink)
}

func (s *postgresStore) SnapshotKeys(ctx context.Context, sink string, keys []Key) ([][]byte, error) {
	raw := make([][]byte, len(keys))
	index := make(map[Key]int, len(keys))
	for i := range keys {
		raw[i] = keys[i][:]
		index[keys[i]] = i
	}
	rows, err := s.pool.Query(ctx, `SELECT key, key_values FROM sluice_snapshot_rows WHERE pipeline = $1 AND sink = $2 AND key = ANY($3)`, s.pipeline, sink, raw)
	if err != nil {
		return nil, wrap(err, "reading snapshot keys of "+sink)
	}
	out := make([][]byte, len(keys))
	found := 0
	var key, values []byte
	_, err = pgx.ForEachRow(rows, []any{&key, &values}, func() error {
		var k Key
		copy(k[:], key)
		if i, ok := index[k]; ok {
			out[i] = append([]byte(nil), values...)
			found++
		}
		return nil
	})
	if err == nil && found != len(keys) {
		err = fmt.Errorf("%d of %d keys are not in the snapshot", len(keys)-found, len(keys))
	}
	return out, wrap(err, "reading snapshot keys of "+sink)
}

func (s *postgresStore) ResetSnapshot(ctx context.Context, sink string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sluice_snapshot_rows WHERE pipeline = $1 AND sink = $2`, s.pipeline, sink); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM sluice_snapshots WHERE pipeline = $1 AND sink = $2`, s.pipeline, sink)
		return err
	})
	return wrap(err, "resetting snapshot of "+sink)
}

func (s *postgresStore) StartRun(ctx context.Context, started time.Time) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO sluice_runs (pipeline, id, started, status)
		SELECT $1, coalesce(max(id), 0) + 1, $2, 'running' FROM sluice_runs WHERE pipeline = $1
		RETURNING id`, s.pipeline, started).Scan(&id)
	return id, wrap(err, "recording run")
}

func (s *postgresStore) EndRun(ctx context.Context, run Run) error {
	nodes := run.Nodes
	if len(nodes) == 0 {
		nodes = json.RawMessage("null")
	}
	_, err := s.pool.Exec(ctx, `UPDATE sluice_runs SET started = $3, ended = $4, status = $5, error = $6, nodes = $7, rejected = $8
		WHERE pipeline = $1 AND id = $2`, s.pipeline, run.ID, run.Started, run.Ended, run.Status, run.Error, string(nodes), run.Rejected)
	return wrap(err, "recording run")
}

func (s *postgresStore) Runs(ctx context.Context, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := s.pool.Query(ctx, `SELECT id, started, ended, status, coalesce(error, ''), coalesce(nodes::text, ''), rejected
		FROM sluice_runs WHERE pipeline = $1 ORDER BY id DESC LIMIT $2`, s.pipeline, limit)
	if err != nil {
		return nil, wrap(err, "reading runs")
	}
	var out []Run
	for rows.Next() {
		var r Run
		var ended *time.Time
		var nodes string
		if err := rows.Scan(&r.ID, &r.Started, &ended, &r.Status, &r.Error, &nodes, &r.Rejected); err != nil {
			return nil, wrap(err, "reading runs")
		}
		if ended != nil {
			r.Ended = *ended
		}
		if nodes != "" && nodes != "null" {
			r.Nodes = json.RawMessage(nodes)
		}
		out = append(out, r)
	}
	return out, wrap(rows.Err(), "reading runs")
}

func (s *postgresStore) Reset(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, table := range []string{"sluice_checkpoints", "sluice_snapshot_rows", "sluice_snapshots", "sluice_runs"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE pipeline = $1`, s.pipeline); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(err, "resetting state")
}

func (s *postgresStore) Describe(ctx context.Context) (Summary, error) {
	sum := Summary{Backend: "postgres", Location: s.location, Pipeline: s.pipeline, Snapshots: map[string]int{}}
	cps, err := s.Checkpoints(ctx)
	if err != nil {
		return sum, err
	}
	sum.Checkpoints = cps
	rows, err := s.pool.Query(ctx, `SELECT s.sink, count(r.key) FROM sluice_snapshots s
		LEFT JOIN sluice_snapshot_rows r ON r.pipeline = s.pipeline AND r.sink = s.sink
		WHERE s.pipeline = $1 GROUP BY s.sink`, s.pipeline)
	if err != nil {
		return sum, wrap(err, "describing state")
	}
	var sink string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&sink, &n}, func() error { sum.Snapshots[sink] = n; return nil }); err != nil {
		return sum, wrap(err, "describing state")
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM sluice_runs WHERE pipeline = $1`, s.pipeline).Scan(&sum.Runs)
	return sum, wrap(err, "describing state")
}

// Close releases the pipeline's lock and the connections. It is safe to call
// more than once.
func (s *postgresStore) Close() error {
	if s.lock == nil {
		return nil
	}
	s.lock.Exec(context.Background(), `SELECT pg_advisory_unlock_all()`)
	s.lock.Release()
	s.lock = nil
	s.pool.Close()
	return nil
}
