package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/sluicedata/sluice/sdk"
)

// checkSync checks a sink's sync block against its plugin and its input,
// and fingerprints what the snapshot depends on.
func (n *Node) checkSync() hcl.Diagnostics {
	c := n.Config
	syncer, ok := n.Sink.(sdk.Syncer)
	if !ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "This sink cannot sync",
			Detail: fmt.Sprintf("The %s sink does not write rows to records identified by a key, so it cannot send only the rows that changed: remove the sync block.",
				c.Plugin),
			Subject: c.Sync.DeclRange.Ptr(),
		}}
	}
	keys := syncer.KeyColumns()
	var diags hcl.Diagnostics
	if len(keys) == 0 {
		detail := fmt.Sprintf("%s names no input column that identifies a row's record, so rows cannot be matched with earlier runs.", n.Address())
		if k, ok := syncer.(sdk.KeylessSyncer); ok {
			if reason := k.KeylessReason(); reason != "" {
				detail = fmt.Sprintf("%s cannot sync as configured: %s", n.Address(), reason)
			}
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "No key to sync by",
			Detail:  detail,
			Subject: c.Sync.DeclRange.Ptr(),
		})
	}
	for _, k := range keys {
		if len(n.In.FieldIndices(k)) != 1 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Key column not in the input",
				Detail:  fmt.Sprintf("The sink's key reads column %q, which its input does not have.", k),
				Subject: c.Sync.DeclRange.Ptr(),
			})
		}
	}
	if l, ok := syncer.(sdk.LeaveLimiter); ok && c.Sync.OnLeave != "nothing" {
		if reason := l.LeaveUnsupported(sdk.LeaveAction(c.Sync.OnLeave)); reason != "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Unsupported on_leave",
				Detail:  fmt.Sprintf("%s cannot act on rows that left with on_leave = %q: %s", n.Address(), c.Sync.OnLeave, reason),
				Subject: c.Sync.OnLeaveRange.Ptr(),
			})
		}
	}
	if c.Sync.OnLeave != "nothing" {
		for up := n.Input; up != nil; up = up.Input {
			if i, ok := up.Source.(sdk.Incremental); ok && i.Incremental() {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "on_leave needs the whole input",
					Detail: fmt.Sprintf("%s reads incrementally, only the rows changed since the last run, so every row it does not read would look as if it left. Use on_leave = \"nothing\" with an incremental source.",
						up.Address()),
					Subject: c.Sync.OnLeaveRange.Ptr(),
				})
			}
		}
	}
	if diags.HasErrors() {
		return diags
	}
	h := sha256.New()
	info := n.Plugin.Info()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", info.Name, info.Version, n.In, strings.Join(keys, "\x00"))
	if v, _ := n.value.UnmarkDeep(); v.IsWhollyKnown() {
		js, _ := ctyjson.Marshal(v, v.Type())
		h.Write(js)
	}
	n.Fingerprint = hex.EncodeToString(h.Sum(nil)[:16])
	return nil
}
