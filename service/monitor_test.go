package service_test

import (
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/monitor"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
)

// A burst of denials from one deployment opens exactly one case of rule
// MONITOR-DENIALS on its licence, with the denials past the threshold as
// its operations, whichever replica reads them: two monitors over two
// stores sharing one database (two processes' worth on PostgreSQL, two
// services over one file on SQLite) step at the same time, and each
// decision counts once. Requests citing criticism of the state, and
// against a blocked country code, open their own cases.
func TestMonitorRules(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			dsn := storetest.DSN(t, kind)
			st := storetest.OpenDSN(t, dsn)
			w := newUseWorld(t, st, useOptions{})
			st2 := st
			if kind == "postgres" {
				st2 = storetest.OpenDSN(t, dsn)
			}
			svc2, err := service.New(t.Context(), st2, service.Options{Logger: slog.New(slog.DiscardHandler)})
			w.check(err)
			m1 := w.svc.NewRuleMonitor(service.MonitorOptions{Holder: "one", Batch: 5})
			m2 := svc2.NewRuleMonitor(service.MonitorOptions{Holder: "two", Batch: 5})

			// 12 denials (a blocked country code), threshold 10.
			var denied []string
			for range 12 {
				r := request(w.dep)
				r.Target.CountryCode = "+1"
				d := w.authorize(w.dep, r)
				if d.Decision != oversight.Deny {
					t.Fatalf("decision %+v", d)
				}
				denied = append(denied, d.OperationID)
			}
			critic := request(w.dep2)
			critic.LegalBasis.Conduct = []string{"criticism_of_state"}
			dc := w.authorize(w.dep2, critic)
			permitted := w.authorize(w.dep2, request(w.dep2))

			// Both replicas step at once, bypassing the lease, until
			// neither reads anything: the cursor row decides.
			var wg sync.WaitGroup
			for _, m := range []*service.RuleMonitor{m1, m2} {
				wg.Go(func() {
					for {
						n, err := m.Step(w.ctx)
						if err != nil && !strings.Contains(err.Error(), "another replica") {
							t.Error(err)
							return
						}
						if err == nil && n == 0 {
							return
						}
					}
				})
			}
			wg.Wait()

			cases := func(license, rule string) []oversight.Case {
				t.Helper()
				l, err := w.svc.Cases(w.ctx, w.admin, oversight.CaseFilter{LicenseID: license, Rule: rule}, oversight.Page{})
				w.check(err)
				return l.Items
			}
			den := cases(w.lic.ID, monitor.RuleDenials)
			if len(den) != 1 || den[0].Source != oversight.SourceRule || strings.Join(den[0].OperationIDs, ",") != strings.Join(denied[9:], ",") || len(den[0].Evidence) != 3 {
				t.Fatalf("denials cases %+v, want one with %v", den, denied[9:])
			}
			if bc := cases(w.lic.ID, monitor.RuleBlockedCountry); len(bc) != 1 || len(bc[0].OperationIDs) != 12 {
				t.Fatalf("blocked-country cases %+v", bc)
			}
			gr := cases(w.lic2.ID, monitor.RuleGrounds)
			if len(gr) != 1 || strings.Join(gr[0].OperationIDs, ",") != dc.OperationID || !strings.Contains(gr[0].Evidence[0].Description, "criticism_of_state") {
				t.Fatalf("grounds cases %+v", gr)
			}
			for _, c := range cases(w.lic2.ID, "") {
				if len(c.OperationIDs) > 0 && c.OperationIDs[0] == permitted.OperationID {
					t.Errorf("the permitted request opened case %+v", c)
				}
			}
			// The case's events are in the public log, without its text.
			ev := w.event(den[0].LogIndex)
			if ev.Type != oversight.EventCaseOpened || ev.Actor != "system" || strings.Contains(string(ev.Payload), "probing") {
				t.Errorf("case event %+v", ev)
			}

			// Another denial later gathers into the same open case, through
			// the lease: only its holder reads.
			r := request(w.dep)
			r.Target.CountryCode = "+1"
			more := w.authorize(w.dep, r)
			if n, err := m2.CatchUp(w.ctx); err != nil || n != 1 {
				t.Fatalf("catch up: %d %v", n, err)
			}
			if n, err := m1.CatchUp(w.ctx); err != nil || n != 0 {
				t.Fatalf("second replica while the first holds the lease: %d %v", n, err)
			}
			den = cases(w.lic.ID, monitor.RuleDenials)
			if len(den) != 1 || den[0].OperationIDs[len(den[0].OperationIDs)-1] != more.OperationID {
				t.Fatalf("denials cases after one more %+v", den)
			}
		})
	}
}
