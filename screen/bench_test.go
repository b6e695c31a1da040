package screen

import (
	"fmt"
	"sync"
	"testing"
)

// Benchmarks use invented names (syntheticDesignations) so that they run
// anywhere; bench/screen measures on the SDN list and at 1,000,000 entries.

var (
	benchOnce sync.Once
	benchIx   map[int]*Index
)

func benchIndex(b *testing.B, n int) *Index {
	benchOnce.Do(func() { benchIx = map[int]*Index{} })
	if ix := benchIx[n]; ix != nil {
		return ix
	}
	ix := NewIndex()
	ix.PutAll(loadFixtures(b))
	ix.PutAll(syntheticDesignations(n, 7))
	benchIx[n] = ix
	return ix
}

var benchQueries = []string{
	"Radomir Feliksovich ZAVADSKI",
	"Радомир Завадский",
	"يوسف الحرازي",
	"איתן לבנון",
	"Κώστας Παπαμιχαήλ",
	"Abdulrahman BAKRI",
	"Maria Gonzalez",
}

func BenchmarkScreen(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		ix := benchIndex(b, n)
		syn := syntheticDesignations(200, 7) // names that are in the index
		b.Run(fmt.Sprintf("designations=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				name := benchQueries[i%len(benchQueries)]
				if i%2 == 1 {
					name = syn[i%len(syn)].Name
				}
				if _, err := ix.Screen(Query{Name: name}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// hardQueries are the kinds that make the slowest queries: tokens never
// seen, which cost bigram searches of their own (run together with a typo,
// Latin names letter by letter in Cyrillic and Greek, a title with a slip).
var hardQueries = []string{
	"Radomirfeliksovich ZAVADSKJ",
	"Ραντομιρ Ζαβαντσκι",
	"Радомир Фелиховицх Завадскы",
	"Abdulrahmanbakri",
	"Mulah Yusuf Alharazi",
	"Μαρια Γκονζαλες",
}

// BenchmarkScreenHard times the hard queries with nothing remembered, each
// as if first seen: what bench/screen's p99 is made of.
func BenchmarkScreenHard(b *testing.B) {
	ix := benchIndex(b, 10_000)
	ix.SetLookupMemo(0)
	defer ix.SetLookupMemo(DefaultLookupMemo)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := ix.Screen(Query{Name: hardQueries[i%len(hardQueries)]}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkScreenParallel(b *testing.B) {
	ix := benchIndex(b, 10_000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			ix.Screen(Query{Name: benchQueries[i%len(benchQueries)]})
			i++
		}
	})
}

func BenchmarkPutAll(b *testing.B) {
	ds := syntheticDesignations(10_000, 9)
	b.ReportAllocs()
	for b.Loop() {
		ix := NewIndex()
		if err := ix.PutAll(ds); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompare(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Compare("Radomir Feliksovich ZAVADSKI", "Radomir Feliksovich ZAVADSKY")
	}
}

func BenchmarkNormalize(b *testing.B) {
	names := []string{"Radomir Feliksovich ZAVADSKY", "Радомир Феликсович Завадский", "يوسف كمال الحرازي", "איתן ברוך לבנון", "Κώστας Παπαμιχαήλ"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Normalize(names[i%len(names)])
		i++
	}
}

func BenchmarkJaroWinkler(b *testing.B) {
	for b.Loop() {
		JaroWinkler("zavadskiy", "zavadski")
	}
}
