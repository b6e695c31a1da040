package offline_test

import (
	"bufio"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/lists"
	"github.com/oversight-dev/oversight/screen/offline"
)

// A list file read offline screens a name and a batch as the server
// would: the transliterated name matches, an entry with no id of this
// system is known by its source, and nothing is recorded.
func TestOffline(t *testing.T) {
	const list = "../../lists/testdata/designations.jsonl"
	if f := offline.ListFormat(list, "auto"); f != lists.FormatJSONL {
		t.Fatalf("format of %s: %s", list, f)
	}
	ix, err := offline.Load(list, "auto", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := offline.Screen(ix, &oversight.ScreenRequest{Name: "Завадский Радомир"})
	if err != nil || len(res.Matches) == 0 || res.Matches[0].DesignationID != "des_fict01" || res.ScreeningID != "" {
		t.Fatalf("screen: %+v, %v", res, err)
	}
	if _, err := offline.Screen(ix, &oversight.ScreenRequest{}); oversight.ErrorCode(err) != oversight.EINVALID {
		t.Errorf("an empty name: %v, want EINVALID", err)
	}
	in := "name,birth_date\nSalma Al-Harazi,1975\nNobody Known At All,\n"
	br := bufio.NewReader(strings.NewReader(in))
	var lines []oversight.BatchLine
	err = offline.Batch(ix, br, offline.BatchFormat("applicants", br), oversight.BatchOptions{}, func(l *oversight.BatchLine, raw []byte) error {
		lines = append(lines, *l)
		return nil
	})
	if err != nil || len(lines) != 2 || len(lines[0].Matches) == 0 || lines[0].Matches[0].DesignationID != "registry:7" || len(lines[1].Matches) != 0 {
		t.Fatalf("batch: %+v, %v", lines, err)
	}
}
