package main

import (
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
)

// An import is split into requests of at most 500 designations and about
// half a megabyte, in order, none empty.
func TestChunks(t *testing.T) {
	small := oversight.Designation{Identity: oversight.Identity{Name: "A"}, Basis: oversight.BasisMisuse, Source: "x:1"}
	big := oversight.Designation{Identity: oversight.Identity{Name: "B"}, Basis: oversight.BasisMisuse, Source: "x:2", Remarks: strings.Repeat("r", 9000)}
	for _, tc := range []struct {
		desc string
		n    int
		d    oversight.Designation
		want []int
	}{
		{"none", 0, small, nil},
		{"one", 1, small, []int{1}},
		{"by count", 1201, small, []int{500, 500, 201}},
		{"by size", 120, big, []int{57, 57, 6}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			ds := make([]oversight.Designation, tc.n)
			for i := range ds {
				ds[i] = tc.d
			}
			var got []int
			for _, c := range chunks(ds) {
				got = append(got, len(c))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("chunks of %d: %v, want %v", tc.n, got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("chunks of %d: %v, want %v", tc.n, got, tc.want)
				}
			}
		})
	}
}
