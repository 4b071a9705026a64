//go:build race

package rowexpr

// raceEnabled is set when the tests run under the race detector, which
// makes the differential tests ten times slower: they then compare fewer
// expressions, the plain run and the fuzzer covering the rest.
const raceEnabled = true
