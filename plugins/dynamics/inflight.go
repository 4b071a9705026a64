package dynamics

import (
	"context"
	"sync"
)

// keyQueue keeps writes of the same record in the order they reached the
// sink. The engine calls Write for several batches at once; when two of them
// hold the same key, the later must not overtake the earlier, or an older
// value would win. Each Write queues behind every earlier Write that holds
// one of its keys, and goes once it heads the queue of each of its keys.
// Writes queue all their keys at once, in arrival order, so no two can wait
// for each other.
type keyQueue struct {
	mu     sync.Mutex
	queues map[string][]*keyWaiter
}

type keyWaiter struct {
	keys    []string
	blocked int // keys whose queue another waiter heads
	ready   chan struct{}
}

// acquire queues keys and waits until this Write heads every queue. The
// returned release must be called, also when acquire fails.
func (q *keyQueue) acquire(ctx context.Context, keys []string) (release func(), err error) {
	release, ready := q.enqueue(keys)
	select {
	case <-ready:
		return release, nil
	case <-ctx.Done():
		return release, ctx.Err()
	}
}

// enqueue queues keys and returns the release and a channel closed when
// the keys are this Write's.
func (q *keyQueue) enqueue(keys []string) (release func(), ready <-chan struct{}) {
	w := &keyWaiter{keys: keys, ready: make(chan struct{})}
	q.mu.Lock()
	if q.queues == nil {
		q.queues = map[string][]*keyWaiter{}
	}
	for _, k := range keys {
		queue := q.queues[k]
		if len(queue) > 0 {
			w.blocked++
		}
		q.queues[k] = append(queue, w)
	}
	if w.blocked == 0 {
		close(w.ready)
	}
	q.mu.Unlock()
	return func() { q.release(w) }, w.ready
}

func (q *keyQueue) release(w *keyWaiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range w.keys {
		queue := q.queues[k]
		for i, x := range queue {
			if x != w {
				continue
			}
			queue = append(queue[:i:i], queue[i+1:]...)
			if i == 0 && len(queue) > 0 {
				next := queue[0]
				next.blocked--
				if next.blocked == 0 {
					close(next.ready)
				}
			}
			break
		}
		if len(queue) == 0 {
			delete(q.queues, k)
		} else {
			q.queues[k] = queue
		}
	}
}
