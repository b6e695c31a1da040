package service_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/lists"
	"github.com/oversight-dev/oversight/screen"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
)

// benchService returns a service on SQLite with the OFAC SDN individuals
// designated (from SANCTIONS_DIR, default ../../shared/data/sanctions),
// and a consular principal.
func benchService(b *testing.B) (*service.Service, *oversight.Principal) {
	b.Helper()
	dir := os.Getenv("SANCTIONS_DIR")
	if dir == "" {
		dir = "../../shared/data/sanctions"
	}
	list, err := lists.Load(lists.FormatOFACSDN, filepath.Join(dir, "sdn.csv"), lists.Options{})
	if err != nil {
		b.Skipf("no SDN list: %v (set SANCTIONS_DIR)", err)
	}
	st := storetest.Open(b, "sqlite")
	svc, err := service.New(b.Context(), st, service.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	off, _, err := svc.CreateUserWithToken(ctx, service.Operator, &oversight.User{Role: oversight.RoleForeignAffairs, Name: "Bench officer"}, &oversight.TokenRequest{})
	if err != nil {
		b.Fatal(err)
	}
	for ds := list.Designations; len(ds) > 0; ds = ds[min(500, len(ds)):] {
		if _, err := svc.ImportDesignations(ctx, &off.Principal, &oversight.DesignationImport{Designations: ds[:min(500, len(ds))]}); err != nil {
			b.Fatal(err)
		}
	}
	con, _, err := svc.CreateUserWithToken(ctx, service.Operator, &oversight.User{Role: oversight.RoleConsular, Name: "Bench consul"}, &oversight.TokenRequest{})
	if err != nil {
		b.Fatal(err)
	}
	return svc, &con.Principal
}

var benchNames = []string{"Yevgeny Prigozhyn", "Николас Мадуро", "Anna Schmidt", "Ramzan Kadyrov", "Oleg Deripaska", "Maria Rossi"}

// BenchmarkScreenRecorded is POST /v1/screen without HTTP: one screening
// against the SDN list's individuals, recorded durably (row and event in
// one committed transaction) before it returns, by 16 concurrent callers
// per processor, who share commits; ns/op is the inverse of throughput.
func BenchmarkScreenRecorded(b *testing.B) {
	svc, p := benchService(b)
	ctx := context.Background()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := svc.Screen(ctx, p, &oversight.ScreenRequest{Name: benchNames[i%len(benchNames)]}); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// discard is a BatchWriter that drops the answer.
type discard struct{}

func (discard) Begin(string) error              { return nil }
func (discard) Line(*oversight.BatchLine) error { return nil }
func (discard) Flush() error                    { return nil }

// BenchmarkScreenBatch screens and records a batch of 10,000 rows; the
// rows/s metric is the batch throughput.
func BenchmarkScreenBatch(b *testing.B) {
	svc, p := benchService(b)
	var sb strings.Builder
	sb.WriteString("name\n")
	const rows = 10000
	for i := range rows {
		sb.WriteString(benchNames[i%len(benchNames)] + "\n")
	}
	body := sb.String()
	b.ResetTimer()
	for b.Loop() {
		if _, err := svc.ScreenBatch(context.Background(), p, strings.NewReader(body), screen.BatchCSV, oversight.BatchOptions{}, discard{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
