package screen_test

import (
	"fmt"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/screen"
)

func ExampleIndex_Screen() {
	ix := screen.NewIndex()
	ix.PutAll([]oversight.Designation{
		{ID: "des_1", Identity: oversight.Identity{Name: "Radomir Feliksovich ZAVADSKY", BirthDate: "1968-04-12", Nationality: "RU"}, Basis: oversight.BasisMisuse},
		{ID: "des_2", Identity: oversight.Identity{Name: "Vera Olegovna ZAVADSKAYA"}, Basis: oversight.BasisImmediateRelative, RelatedTo: "des_1", Relation: oversight.RelationSpouse},
	})
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, q := range []screen.Query{
		{Name: "Radomir ZAVADKSY", BirthDate: "1968", At: at}, // a typo, a middle name left out
		{Name: "Радомир Завадский", At: at},                   // Cyrillic
		{Name: "Vera Zavadskaya", At: at},                     // a relative
	} {
		ms, _ := ix.Screen(q)
		fmt.Printf("%s: %s %.2f\n  %s\n", q.Name, ms[0].DesignationID, ms[0].Score, ms[0].Explanation.Summary)
	}
	// Output:
	// Radomir ZAVADKSY: des_1 0.96
	//   name "Radomir Feliksovich ZAVADSKY" matched 0.94 (radomir exact, zavadksy~zavadsky fuzzy 0.97, feliksovich not given); birth year agrees +0.02
	// Радомир Завадский: des_1 0.93
	//   name "Radomir Feliksovich ZAVADSKY" matched 0.93 (radomir exact, zavadskiy~zavadsky transliteration 0.95, feliksovich not given)
	// Vera Zavadskaya: des_2 0.95
	//   name "Vera Olegovna ZAVADSKAYA" matched 0.95 (vera exact, zavadskaya exact, olegovna not given); spouse of Radomir Feliksovich ZAVADSKY (des_1, misuse)
}
