package screen

import (
	"reflect"
	"testing"

	"github.com/oversight-dev/oversight"
)

// The memo of token lookups changes no answer: a query answered from it,
// and one answered with no memo at all, get the matches a first query got.
func TestLookupMemoSameAnswers(t *testing.T) {
	ix := NewIndex()
	ix.PutAll(loadFixtures(t))
	ix.PutAll(syntheticDesignations(2000, 3))
	queries := []string{
		"Radomir Feliksovich ZAVADSKI", "Радомир Завадский", "Zavadskiyradomir", "يوسف الحرازي",
		"איתן לבנון", "Κώστας Παπαμιχαήλ", "Abdulrahman BAKRI", "Maria Gonzalez", "Mr. Radomir Zavadsky",
	}
	for _, name := range queries {
		q := Query{Name: name, At: now, Limit: 10}
		first, err := ix.Screen(q)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := ix.Screen(q) // from the memo
		ix.SetLookupMemo(0)
		none, _ := ix.Screen(q)
		ix.SetLookupMemo(DefaultLookupMemo)
		if !reflect.DeepEqual(again, first) || !reflect.DeepEqual(none, first) {
			t.Errorf("%q: first %v, from the memo %v, without it %v", name, first, again, none)
		}
	}
}

// A put that adds a token forgets the lookups: a name listed after a query
// like it is found by the next one.
func TestLookupMemoForgetsOnNewToken(t *testing.T) {
	ix := NewIndex()
	ix.PutAll(loadFixtures(t))
	q := Query{Name: "Ksawery Wrzosowski", At: now}
	before, err := ix.Screen(q)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range before {
		if m.DesignationID == "des_memo" {
			t.Fatalf("found before it was listed: %v", before)
		}
	}
	if err := ix.Put(oversight.Designation{ID: "des_memo", Identity: oversight.Identity{Name: "Ksawery WRZOSOWSKY"}, Basis: oversight.BasisMisuse, ListedAt: now.AddDate(-1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	after, err := ix.Screen(q)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) == 0 || after[0].DesignationID != "des_memo" {
		t.Fatalf("after listing Ksawery WRZOSOWSKY: %v, want it first", after)
	}
}
