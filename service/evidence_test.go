package service_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/stix"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

func readBundle(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "stix", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEvidence(t *testing.T) {
	pegasus := readBundle(t, "pegasus-excerpt.stix2")
	novispy := readBundle(t, "novispy-excerpt.stix2")
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{})
		logSize := func() int64 { return st.LogHead().Size }

		// The vendor declares a parent domain of one of Pegasus's; the
		// second agency an address range holding one of NoviSpy's.
		d, err := w.svc.UpdateDeployment(w.ctx, w.vendor, w.dep.ID, &oversight.DeploymentUpdate{Infrastructure: &oversight.Infrastructure{
			Domains: []string{"SMSCentro.com.", "smscentro.com", "c2.example.net"}, AppIDs: []string{"com.example.tool"}}})
		w.check(err)
		if d.Infrastructure != nil {
			t.Errorf("the vendor reads the declared infrastructure back: %+v", d.Infrastructure)
		}
		_, err = w.svc.UpdateDeployment(w.ctx, w.agency2, w.dep2.ID, &oversight.DeploymentUpdate{Infrastructure: &oversight.Infrastructure{
			IPRanges: []string{"176.223.111.0/24"}, CertSHA256: []string{strings.ToUpper("3ac97735164824657b683e805133b1274b2dedabf9fdd6aa9aca31089d501e64")}}})
		w.check(err)
		for _, p := range []*oversight.Principal{w.agency, w.vendor} {
			if d, err := w.svc.Deployment(w.ctx, p, w.dep.ID); err == nil && d.Infrastructure != nil {
				t.Errorf("%s reads the infrastructure", p.Role)
			}
		}
		d, err = w.svc.Deployment(w.ctx, w.foreign, w.dep.ID)
		w.check(err)
		if d.Infrastructure == nil || strings.Join(d.Infrastructure.Domains, ",") != "c2.example.net,smscentro.com" {
			t.Fatalf("officer reads %+v", d.Infrastructure)
		}
		// The agency of the first licence cannot declare for the second.
		if _, err := w.svc.UpdateDeployment(w.ctx, w.agency, w.dep2.ID, &oversight.DeploymentUpdate{Infrastructure: &oversight.Infrastructure{}}); oversight.ErrorCode(err) != oversight.ENOTFOUND {
			t.Errorf("another agency declares: %v", err)
		}
		if _, err := w.svc.UpdateDeployment(w.ctx, w.vendor, w.dep.ID, &oversight.DeploymentUpdate{Infrastructure: &oversight.Infrastructure{Domains: []string{"not a domain"}, IPRanges: []string{"10.0.0.0/33"}}}); !hasFields(err, "infrastructure.domains[0]", "infrastructure.ip_ranges[0]") {
			t.Errorf("bad declaration: %v", err)
		}
		for i := w.dep.LogIndex; i < logSize(); i++ {
			if ev := w.event(i); strings.Contains(string(ev.Payload), "smscentro") || strings.Contains(string(ev.Payload), "176.223") {
				t.Errorf("event %s shows the declared infrastructure: %s", ev.Type, ev.Payload)
			}
		}

		// Only investigators import.
		if _, _, err := w.svc.ImportEvidence(w.ctx, w.vendor, decodeBundle(t, pegasus)); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
			t.Errorf("vendor imports: %v", err)
		}

		rep, created, err := w.svc.ImportEvidence(w.ctx, w.defense, decodeBundle(t, pegasus))
		w.check(err)
		if !created || rep.Indicators != 11 || rep.Matchable != 8 || rep.NewMatches != 1 || len(rep.Matches) != 1 || len(rep.CaseIDs) != 1 {
			t.Fatalf("report %+v", rep)
		}
		m := rep.Matches[0]
		if m.Value != "smscentro.com" || m.Declared != "smscentro.com" || m.DeploymentID != w.dep.ID || m.LicenseID != w.lic.ID || m.CaseID != rep.CaseIDs[0] {
			t.Fatalf("match %+v", m)
		}
		c, err := w.svc.Case(w.ctx, w.foreign, m.CaseID)
		w.check(err)
		if c.Source != oversight.SourceForensicReport || c.Rule != service.RuleEvidence || c.LicenseID != w.lic.ID || len(c.Evidence) != 1 {
			t.Fatalf("case %+v", c)
		}
		for _, want := range []string{rep.ID, "Pegasus", m.IndicatorID, "smscentro.com", w.dep.ID} {
			if !strings.Contains(c.Evidence[0].Description, want) {
				t.Errorf("evidence %q does not cite %s", c.Evidence[0].Description, want)
			}
		}
		ev := w.event(rep.LogIndex)
		if ev.Type != oversight.EventEvidenceImported || strings.Contains(string(ev.Payload), "smscentro") {
			t.Errorf("event %s: %s", ev.Type, ev.Payload)
		}

		// The same bundle again adds nothing: no event, no evidence.
		size := logSize()
		again, created, err := w.svc.ImportEvidence(w.ctx, w.foreign, decodeBundle(t, pegasus))
		w.check(err)
		if created || again.ID != rep.ID || again.NewMatches != 0 || len(again.Matches) != 1 || again.Matches[0].CaseID != c.ID || logSize() != size {
			t.Fatalf("second import %+v (log %d → %d)", again, size, logSize())
		}

		// NoviSpy: an address in the declared range and a certificate, on
		// the second licence; a second declaration later adds to the same
		// open case.
		rep2, _, err := w.svc.ImportEvidence(w.ctx, w.defense, decodeBundle(t, novispy))
		w.check(err)
		if rep2.NewMatches != 2 || len(rep2.CaseIDs) != 1 {
			t.Fatalf("novispy %+v", rep2)
		}
		_, err = w.svc.UpdateDeployment(w.ctx, w.defense, w.dep2.ID, &oversight.DeploymentUpdate{Infrastructure: &oversight.Infrastructure{
			IPRanges: []string{"176.223.111.0/24"}, AppIDs: []string{"com.gu.activity"}}})
		w.check(err)
		rep3, created, err := w.svc.ImportEvidence(w.ctx, w.defense, decodeBundle(t, novispy))
		w.check(err)
		if created || rep3.NewMatches != 1 || rep3.CaseIDs[0] != rep2.CaseIDs[0] {
			t.Fatalf("novispy again after a new declaration %+v", rep3)
		}
		c2, err := w.svc.Case(w.ctx, w.foreign, rep2.CaseIDs[0])
		w.check(err)
		if c2.LicenseID != w.lic2.ID || len(c2.Evidence) != 3 {
			t.Fatalf("case %+v", c2)
		}
		list, err := w.svc.Cases(w.ctx, w.admin, oversight.CaseFilter{Rule: service.RuleEvidence}, oversight.Page{})
		w.check(err)
		if len(list.Items) != 2 {
			t.Errorf("%d cases of rule %s, want 2", len(list.Items), service.RuleEvidence)
		}
	})
}

func decodeBundle(t testing.TB, b []byte) *stix.Bundle {
	t.Helper()
	out, err := stix.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hasFields reports whether err is EINVALID naming each field.
func hasFields(err error, fields ...string) bool {
	e, ok := err.(*oversight.Error)
	if !ok || e.Code != oversight.EINVALID {
		return false
	}
	for _, f := range fields {
		found := false
		for _, fe := range e.Fields {
			found = found || fe.Field == f
		}
		if !found {
			return false
		}
	}
	return true
}

// BenchmarkImportEvidence imports the Pegasus bundle (1,549 indicators)
// against the infrastructure of 10,000 deployments, each declaring two
// domains, an address range and an app id, one of them a Pegasus domain.
// It reads the published bundle beside the repository when it is there,
// and otherwise a synthetic one of the same size. Issue 15 asks for under
// a second.
func BenchmarkImportEvidence(b *testing.B) {
	st := storetest.Open(b, "sqlite")
	w := newUseWorld(b, st, useOptions{})
	bundle, err := os.ReadFile(filepath.Join("..", "..", "shared", "data", "indicators", "pegasus.stix2"))
	if err != nil {
		bundle = syntheticBundle(1549)
	}
	const deployments = 10000
	err = st.Update(w.ctx, func(tx *store.Tx) error {
		for i := range deployments {
			// Each deployment has a key of its own.
			var seed [ed25519.SeedSize]byte
			binary.BigEndian.PutUint32(seed[:], uint32(i))
			pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
			d := &oversight.Deployment{ID: fmt.Sprintf("dep_bench%05d", i), LicenseID: w.lic.ID, Label: "bench",
				PublicKey: oversight.EncodeKey(pub), Status: oversight.DeploymentActive, CreatedAt: time.Now()}
			if err := tx.CreateDeployment(d); err != nil {
				return err
			}
			in := &oversight.Infrastructure{Domains: []string{fmt.Sprintf("site%d.example.net", i), fmt.Sprintf("cdn%d.example.org", i)},
				IPRanges: []string{fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)}, AppIDs: []string{fmt.Sprintf("com.example.app%d", i)}}
			if i == deployments/2 {
				in.Domains = append(in.Domains, "smscentro.com")
			}
			if err := tx.SetInfrastructure(d.ID, d.LicenseID, in, time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	w.check(err)
	b.ReportAllocs()
	for b.Loop() {
		// Every round but the first finds its matches recorded: it
		// measures decoding, indexing and matching, and the check that
		// nothing is new.
		if _, _, err := w.svc.ImportEvidence(w.ctx, w.defense, decodeBundle(b, bundle)); err != nil {
			b.Fatal(err)
		}
	}
}

// syntheticBundle returns a bundle of n domain indicators, one of them
// smscentro.com, for when the published one is not at hand.
func syntheticBundle(n int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"type":"bundle","id":"bundle--34d0032b-b342-4076-955d-6c0020fe693a","objects":[`)
	buf.WriteString(`{"type":"malware","spec_version":"2.1","id":"malware--2e9d534b-2e11-4758-bdc5-9c3e1c100d4d","name":"Synthetic","is_family":false}`)
	for i := range n {
		dom := fmt.Sprintf("d%d.example.com", i)
		if i == n/2 {
			dom = "smscentro.com"
		}
		fmt.Fprintf(&buf, `,{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-1452-437e-a19e-32590edf60c3","pattern":"[domain-name:value='%s']","pattern_type":"stix","valid_from":"2024-01-26T21:28:21Z"}`, i, dom)
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}
