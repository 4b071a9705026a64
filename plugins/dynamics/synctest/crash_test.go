package synctest_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
)

// The crash test kills `sluice run` with SIGKILL at random points of a
// 100,000-row change-only sync into an emulator that lives in its own
// process, runs it again to completion each time, and checks that the
// emulator ends exactly as after the same syncs run without interruption:
// every record's values equal, none missing, none duplicated; that the
// snapshot holds one row per record; and that a further run sends nothing.
//
// Two syncs run that way: the first, into an empty table, creates 100,000
// contacts; the second changes 10% of the rows, drops 3% (on_leave =
// "delete") and adds 2%. Each is killed twice, at a point drawn from a
// seeded source (the seed is printed; SLUICE_CRASH_SEED repeats a run):
// after a random share of the writes still to do, and once the run has
// saved state, so kills land while batches are in flight, snapshots and
// checkpoints are being saved, and rows that left are being deleted — and a
// rerun could resume after a checkpoint. After each sync, the snapshot must
// hold one row per record and a further run must send nothing. The
// emulator charges a simulated cost per record so that each sync lasts a
// few seconds.
func TestSyncSurvivesSIGKILL(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SLUICE_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("SLUICE_CRASH_SEED: %v", err)
		}
	}
	t.Logf("seed %d (SLUICE_CRASH_SEED=%d repeats these kill points)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))

	const n = 100_000
	first := people(n)
	second := slices.Clone(first)
	for i := 0; i < n; i += 10 {
		second[i].title = "Manager"
	}
	second = slices.DeleteFunc(second, func(p person) bool {
		var i int
		fmt.Sscanf(p.email, "Person%d@", &i)
		return i%100 >= 97
	})
	for i := n; i < n+n/50; i++ {
		second = append(second, person{email: fmt.Sprintf("Person%d@Example.com", i), first: "New", last: fmt.Sprintf("Last%d", i), title: "Intern", city: "Rome", company: "A1"})
	}
	sync := syncOptions{onLeave: "delete", syncExtra: "max_leave_percent = 5", noRejects: true}
	emu := startEmulatorProcess(t)

	// The reference: both syncs, uninterrupted, at full speed.
	start := time.Now()
	ref := newCLIPipeline(t, emu.env, sync)
	for _, rows := range [][]person{first, second} {
		writeCSV(t, ref.segment, rows)
		if code, _, errOut := runSluice(t, ref.env, "run", "--quiet", ref.path); code != 0 {
			t.Fatalf("reference run: exit %d\n%s", code, errOut)
		}
	}
	want := byAccountNumber(emu.contacts(t), emu.accounts(t))
	if len(want) != n-n*3/100+n/50 {
		t.Fatalf("the reference ends with %d contacts, want %d", len(want), n-n*3/100+n/50)
	}
	t.Logf("reference: %s", time.Since(start).Round(time.Millisecond))

	// The same syncs, killed. The simulated cost stretches each over a few
	// seconds (a core's worth of emulator writes 100,000 contacts in one),
	// so that kills land after saves too.
	emu.reset(t)
	p := newCLIPipeline(t, emu.env, sync)
	expected := []int{n, n/10*97/100 + n/50 + n*3/100} // writes each sync makes
	costs := []string{"request=1ms,record=150us", "request=5ms,record=600us"}
	for phase, rows := range [][]person{first, second} {
		emu.inspect(t, "PUT", "cost", costs[phase], nil)
		writeCSV(t, p.segment, rows)
		written, redo := 0, 0
		for kill := range 2 {
			remaining := max(expected[phase]-written, 100)
			at := int(float64(remaining) * (0.1 + 0.6*rng.Float64()))
			after := minRunTime + time.Duration(rng.Int64N(int64(1200*time.Millisecond)))
			start := time.Now()
			got, recent, killed := runUntilWrites(t, emu, p, at, after)
			written, redo = written+got, redo+recent
			t.Logf("sync %d, kill %d: after %d of ~%d writes still to do and %s; %d written (%d in the last %s), killed: %v, after %s",
				phase+1, kill+1, at, remaining, after.Round(time.Millisecond), got, recent, unsavedWindow, killed, time.Since(start).Round(time.Millisecond))
		}
		start, seq := time.Now(), emu.lastSeq(t)
		code, _, errOut := runSluice(t, p.env, "run", "--quiet", p.path)
		if code != 0 {
			t.Fatalf("sync %d, run to completion: exit %d\n%s", phase+1, code, errOut)
		}
		last := logTraffic(emu.log(t, seq)).records
		written += last
		t.Logf("sync %d completed in %s, writing %d records; %d in all, for %d", phase+1, time.Since(start).Round(time.Millisecond), last, written, expected[phase])
		// What a killed run confirmed is saved every second: a rerun redoes
		// at most what each killed run wrote in its last moments.
		if limit := expected[phase] + redo; written > limit {
			t.Errorf("sync %d wrote %d records over its runs, more than the %d it needs and the %d written in the last %s before the kills: the reruns redid saved work",
				phase+1, written, expected[phase], redo, unsavedWindow)
		}
		emu.inspect(t, "DELETE", "cost", "", nil)
		checkConsistent(t, emu, p, fmt.Sprintf("after sync %d", phase+1))
	}
	compareContacts(t, byAccountNumber(emu.contacts(t), emu.accounts(t)), want)
}

// checkConsistent checks that the snapshot has one row per contact, and
// that a further run sends nothing.
func checkConsistent(t *testing.T, emu *emulatorProcess, p *cliPipeline, when string) {
	t.Helper()
	contacts := emu.count(t)
	if sum := p.stateSummary(t); sum.Snapshots["sink.contacts"] != contacts {
		t.Errorf("%s: the snapshot holds %d rows for %d contacts", when, sum.Snapshots["sink.contacts"], contacts)
	}
	seq := emu.lastSeq(t)
	if code, _, errOut := runSluice(t, p.env, "run", "--quiet", p.path); code != 0 {
		t.Fatalf("%s, a further run: exit %d\n%s", when, code, errOut)
	}
	if tr := logTraffic(emu.log(t, seq)); tr.writeRequests != 0 {
		t.Errorf("%s: a further run sent %d write requests (%v), want none", when, tr.writeRequests, tr.byOperation)
	}
}

// minRunTime is how long a run goes at least before it is killed: the
// state store saves checkpoints and snapshots every second.
const minRunTime = 1500 * time.Millisecond

// runUntilWrites starts `sluice run` and kills it with SIGKILL once the
// emulator has written `at` records since it started, and not before
// `after` (at least minRunTime): by then the run has saved state — a
// checkpoint a rerun could resume from, a snapshot it must use. It returns the records written and whether the kill came
// before the run ended.
func runUntilWrites(t *testing.T, emu *emulatorProcess, p *cliPipeline, at int, after time.Duration) (written, recent int, killed bool) {
	t.Helper()
	seq := emu.lastSeq(t)
	cmd := sluiceCmd(t, p.env, "run", "--quiet", p.path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := seq
	started := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for {
		select {
		case err := <-exited:
			written += logTraffic(emu.log(t, seq)).records
			if err != nil {
				t.Fatalf("sluice run failed before the kill: %v", err)
			}
			return written, 0, false
		case <-time.After(5 * time.Millisecond):
		}
		entries := emu.log(t, seq)
		if len(entries) > 0 {
			seq = entries[len(entries)-1].Seq
		}
		written += logTraffic(entries).records
		if written >= at && time.Since(started) >= after {
			cmd.Process.Signal(syscall.SIGKILL)
			<-exited
			killedAt := time.Now()
			// The emulator finishes the requests that were in flight: they
			// count for this run, not the next.
			emu.waitQuiet(t)
			all := emu.log(t, first)
			written = logTraffic(all).records
			recent = logTraffic(slices.DeleteFunc(all, func(e emulator.LogEntry) bool { return e.Time.Before(killedAt.Add(-unsavedWindow)) })).records
			return written, recent, true
		}
	}
}

// unsavedWindow bounds how far a killed run's saved state lags behind its
// writes: the snapshot is saved every second; a batch in flight takes a
// moment more.
const unsavedWindow = 2 * time.Second

// byAccountNumber replaces the account ids of lookups by the accounts'
// numbers: the accounts of two emulator lives have different ids.
func byAccountNumber(contacts map[string]syncedContact, accounts map[string]string) map[string]syncedContact {
	for email, c := range contacts {
		if c.Account != nil {
			number := "account " + accounts[*c.Account]
			c.Account = &number
			contacts[email] = c
		}
	}
	return contacts
}

// compareContacts checks that got holds exactly the contacts of want, with
// the same values in every column the sync writes or changes.
func compareContacts(t *testing.T, got, want map[string]syncedContact) {
	t.Helper()
	missing, extra, differ := 0, 0, 0
	show := func(c syncedContact) string {
		s := func(p *string) string {
			if p == nil {
				return "null"
			}
			return *p
		}
		i := func(p *int) string {
			if p == nil {
				return "null"
			}
			return fmt.Sprint(*p)
		}
		return fmt.Sprintf("firstname %s, lastname %s, jobtitle %s, city %s, parent %s, statecode %s, statuscode %s",
			s(c.First), s(c.Last), s(c.Title), s(c.City), s(c.Account), i(c.State), i(c.StatusRsn))
	}
	for email, w := range want {
		g, ok := got[email]
		switch {
		case !ok:
			if missing++; missing <= 5 {
				t.Errorf("missing contact %s", email)
			}
		case show(g) != show(w):
			if differ++; differ <= 5 {
				t.Errorf("contact %s:\n got %s\nwant %s", email, show(g), show(w))
			}
		}
	}
	for email := range got {
		if _, ok := want[email]; !ok {
			if extra++; extra <= 5 {
				t.Errorf("extra contact %s", email)
			}
		}
	}
	if missing+extra+differ > 0 {
		t.Errorf("%d contacts missing, %d extra, %d with other values, of %d", missing, extra, differ, len(want))
	}
}
