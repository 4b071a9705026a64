package main

import (
	"fmt"
	"log/slog"
	"strings"
)

// checkCmd tests the connection of every node that talks to a remote system
// — getting a token, reaching the service, reading what the configuration
// names — and prints, for each failure, what to do about it. It moves no
// data and writes nothing.
func (c *cli) checkCmd(args []string) error {
	fs, in := pipelineFlags("check", "check <file|dir> [flags]", c.stderr)
	path, err := parsePath(fs, args)
	if err != nil {
		return err
	}
	p, err := c.loadPipeline(path, in, slog.LevelWarn)
	if err != nil {
		return err
	}
	checks, err := p.Check(c.ctx)
	if err != nil {
		return c.reportDiagnostics(err)
	}
	c.printWarnings(p, nil)
	if len(checks) == 0 {
		c.printf("%s has no node with a connection to check.\n", path)
		return nil
	}
	failed := 0
	for _, nc := range checks {
		status := "ok"
		if !nc.OK() {
			status = "FAILED"
			failed++
		}
		c.printf("%s (%s): %s\n", nc.Address, nc.Plugin, status)
		for _, s := range nc.Steps {
			mark := "✓"
			if !s.OK {
				mark = "✗"
			}
			c.printf("  %s %-16s %s\n", mark, s.Name, s.Detail)
			if s.Advice != "" {
				c.printf("    %s %s\n", strings.Repeat(" ", 16), "What to do: "+s.Advice)
			}
		}
	}
	if failed > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("%d of %d %s failed", failed, len(checks), plural(len(checks), "connection check", "connection checks"))}
	}
	c.printf("%d %s passed.\n", len(checks), plural(len(checks), "connection check", "connection checks"))
	return nil
}
