package dynamics

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestKeyQueueKeepsWritesOfOneRecordInOrder(t *testing.T) {
	var q keyQueue
	ctx := context.Background()
	var mu sync.Mutex
	var order []string
	record := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	relA, err := q.acquire(ctx, []string{"x", "y"})
	if err != nil {
		t.Fatal(err)
	}
	// b shares y with a and waits; c shares x with a and z with b and
	// waits for both; d shares nothing and goes at once.
	started := make(chan string, 3)
	var wg sync.WaitGroup
	for _, w := range []struct {
		name string
		keys []string
	}{{"b", []string{"y", "z"}}, {"c", []string{"x", "z"}}, {"d", []string{"w"}}} {
		rel, ready := q.enqueue(w.keys)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			record(w.name)
			started <- w.name
			time.Sleep(10 * time.Millisecond)
			rel()
		}()
	}
	if got := <-started; got != "d" {
		t.Fatalf("%s went first; only d is free to", got)
	}
	select {
	case got := <-started:
		t.Fatalf("%s went while a holds its keys", got)
	case <-time.After(50 * time.Millisecond):
	}
	record("a done")
	relA()
	wg.Wait()
	if got := fmtOrder(order); got != "d,a done,b,c" {
		t.Errorf("order %s, want d,a done,b,c", got)
	}
	if len(q.queues) != 0 {
		t.Errorf("queues left: %v", q.queues)
	}
}

func TestKeyQueueCancelledWaiterLeavesTheQueue(t *testing.T) {
	var q keyQueue
	rel, _ := q.acquire(context.Background(), []string{"k"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rel2, err := q.acquire(ctx, []string{"k"})
	if err == nil {
		t.Fatal("a cancelled wait succeeded")
	}
	rel2()
	rel()
	rel3, err := q.acquire(context.Background(), []string{"k"})
	if err != nil {
		t.Fatal(err)
	}
	rel3()
	if len(q.queues) != 0 {
		t.Errorf("queues left: %v", q.queues)
	}
}

func fmtOrder(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}
