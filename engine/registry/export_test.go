package registry

import (
	"testing"
	"time"
)

// SetAfterVerify sets, for the test, the hook called between a binary's
// verification and its start.
func SetAfterVerify(tb testing.TB, hook func(path string)) {
	saved := afterVerify
	afterVerify = hook
	tb.Cleanup(func() { afterVerify = saved })
}

// CacheAtOnce lets, for the test, a binary's checksum be cached however
// recently it changed.
func CacheAtOnce(tb testing.TB) {
	saved := racyMargin
	racyMargin = -time.Hour
	tb.Cleanup(func() { racyMargin = saved })
}
