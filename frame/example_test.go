package frame_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"mlw.dev/frame"
)

func ExampleReadCSV() {
	input := "ticket_id,created,priority,escalated,amount\n" +
		"T-1,2024-01-02 09:30:00,high,yes,12.5\n" +
		"T-2,2024-01-02 10:00:00,low,no,NA\n" +
		"T-3,2024-01-03 08:15:00,low,no,7\n"
	f, err := frame.ReadCSV(strings.NewReader(input), frame.ReadOptions{Name: "tickets.csv"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, fd := range frame.InferSchema(f, frame.SchemaOptions{}).Fields {
		fmt.Printf("%-10s %-12s %-12s missing=%d\n", fd.Name, fd.Type, fd.Kind, fd.Missing)
	}
	fmt.Println(f.Cell(1, 1), f.Cell(1, 4) == "")
	// Output:
	// ticket_id  text         id           missing=0
	// created    datetime     datetime     missing=0
	// priority   categorical  categorical  missing=0
	// escalated  boolean      boolean      missing=0
	// amount     numeric      numeric      missing=1
	// 2024-01-02T10:00:00Z true
}

func ExampleReadCSV_error() {
	_, err := frame.ReadCSV(strings.NewReader("a,b,c\n1,2,3\n4,5\n"), frame.ReadOptions{Name: "data.csv"})
	fmt.Println(err)
	// Output: data.csv line 3: 2 fields, header has 3
}

func ExampleInferSchema() {
	f, err := frame.ReadCSV(strings.NewReader("id,label\n1,0\n2,1\n3,1\n"), frame.ReadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := frame.InferSchema(f, frame.SchemaOptions{})
	_ = json.NewEncoder(os.Stdout).Encode(s)
	// Output:
	// {"fields":[{"name":"id","type":"numeric","kind":"id","missing":0,"distinct":3},{"name":"label","type":"numeric","kind":"boolean","missing":0,"distinct":2}]}
}

func ExampleFrame_Take() {
	f, err := frame.ReadCSV(strings.NewReader("x,y\n1,a\n2,b\n3,a\n"), frame.ReadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	test := f.Take([]int{2, 0})
	fmt.Println(test.NumRows(), test.Cell(0, 0), test.Cell(0, 1))
	h := f.RowHashes()
	fmt.Println(test.RowHashes()[0] == h[2])
	// Output:
	// 2 3 a
	// true
}
