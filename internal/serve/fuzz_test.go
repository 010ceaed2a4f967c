package serve

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
)

// fuzzLimits are small so that the fuzzer reaches them.
var fuzzLimits = limits{maxRows: 64, maxDepth: 16}

// requireClientError checks that a decoder or binder error is one a client
// caused: a 4xx.
func requireClientError(t *testing.T, err error) {
	t.Helper()
	code := mlw.ErrorCode(err)
	require.Contains(t, []string{mlw.EINVALID, codeTooLarge}, code, "error %v", err)
	require.Less(t, HTTPStatus(err), 500)
}

// bindAll binds a decoded batch to every test model and predicts: never a
// panic, only client errors.
func bindAll(t *testing.T, b *batch) {
	t.Helper()
	ms := models(t)
	for _, m := range []*Model{ms.v1, ms.v2, ms.reg} {
		var p prediction
		err := m.bind(&p, b)
		if err == nil {
			err = m.predict(&p, b.rows(), time.Time{})
		}
		if err != nil {
			requireClientError(t, err)
		}
	}
}

var instanceSeeds = []string{
	`{"instances": [` + goodRow + `]}`,
	`{"instances": [{"x1": 1, "x2": -2.5e3}, {"x1": null, "x2": "4"}]}`,
	`{"dataframe_records": [{"plan": "b\u00e9sic\n", "tenure": 1E2, "active": true}]}`,
	`{"dataframe_split": {"columns": ["x1", "x2"], "data": [[1, 2], [3, null]]}}`,
	`{"dataframe_split": {"data": [[1, 2]], "columns": ["x1", "x2"], "index": [0]}}`,
	`{"params": {"a": [1, {"b": null}]}, "instances": [{"x1": 0, "x2": -0.0}]}`,
	`{"instances": [{"tenure": NaN}]}`,
	`{"instances": [{"tenure": 1e999}]}`,
	`{"instances": [{"tenure": [[[[1]]]]}]}`,
	`{"instances": [{"tenure": 3,}]}`,
	`{"instances": [{"\ud83d\ude00": "\ud800"}]}`,
	`{"instances": []}`,
	"{\"instances\": [{\"plan\": \"\xff\"}]}",
	`   {"instances":[{"x1":1,"x2":2}]}   `,
}

func FuzzDecodeInstances(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzz seeds are skipped with -short")
	}
	for _, s := range instanceSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b batch
		err := decodePredict(data, &b, fuzzLimits)
		if err != nil {
			requireClientError(t, err)
			return
		}
		require.True(t, json.Valid(data), "accepted JSON that encoding/json refuses")
		agreeWithEncodingJSON(t, data, &b)
		bindAll(t, &b)
	})
}

// agreeWithEncodingJSON checks a decoded batch against encoding/json's
// reading of the same bytes.
func agreeWithEncodingJSON(t *testing.T, data []byte, b *batch) {
	t.Helper()
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &top))
	var rows [][]any     // per row, values in cell order
	var names [][]string // per row, the column of each value
	if raw, ok := top["dataframe_split"]; ok {
		var split map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw, &split))
		var cols []string
		require.NoError(t, json.Unmarshal(split["columns"], &cols))
		require.Equal(t, cols, b.cols)
		var d [][]any
		require.NoError(t, decodeNumbers(split["data"], &d))
		for _, r := range d {
			rows = append(rows, r)
			names = append(names, cols)
		}
	} else {
		raw, ok := top["instances"]
		if !ok {
			raw = top["dataframe_records"]
		}
		var objs []map[string]any
		require.NoError(t, decodeNumbers(raw, &objs))
		require.Len(t, objs, b.rows())
		for i, o := range objs {
			cells := b.row(i)
			dup := map[int32]bool{}
			for _, c := range cells {
				if dup[c.col] {
					return // duplicate keys: encoding/json keeps the last
				}
				dup[c.col] = true
			}
			require.Len(t, o, len(cells))
			var r []any
			var n []string
			for _, c := range cells {
				v, ok := o[b.cols[c.col]]
				require.True(t, ok, "column %q", b.cols[c.col])
				r = append(r, v)
				n = append(n, b.cols[c.col])
			}
			rows = append(rows, r)
			names = append(names, n)
		}
	}
	require.Len(t, rows, b.rows())
	for i, r := range rows {
		cells := b.row(i)
		require.Len(t, r, len(cells))
		for j, c := range cells {
			if b.positional || len(names[i]) > j {
				requireSameValue(t, r[j], c)
			}
		}
	}
}

func decodeNumbers(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return d.Decode(v)
}

// requireSameValue compares an encoding/json value with a cell.
func requireSameValue(t *testing.T, v any, c cell) {
	t.Helper()
	switch x := v.(type) {
	case nil:
		require.Equal(t, cellNull, c.kind)
	case bool:
		require.Equal(t, cellBool, c.kind)
		require.Equal(t, strconv.FormatBool(x), c.str)
	case string:
		require.Equal(t, cellStr, c.kind)
		require.Equal(t, x, c.str)
	case json.Number:
		require.Equal(t, cellNum, c.kind)
		want, err := strconv.ParseFloat(string(x), 64)
		require.NoError(t, err)
		require.Equal(t, want, c.num)
	case []any:
		require.Equal(t, cellComplex, c.kind)
		require.Equal(t, "an array", c.str)
	case map[string]any:
		require.Equal(t, cellComplex, c.kind)
		require.Equal(t, "an object", c.str)
	default:
		t.Fatalf("value %v (%T) is not a JSON value", v, v)
	}
}

var inferSeeds = []string{
	`{"id": "1", "inputs": [{"name": "x1", "shape": [2], "datatype": "FP64", "data": [1, 2]}, {"name": "x2", "shape": [2, 1], "datatype": "INT32", "data": [[3], [4]]}]}`,
	`{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [[1.5, null]]}], "outputs": [{"name": "predict"}]}`,
	`{"inputs": [{"name": "plan", "shape": [1], "datatype": "BYTES", "data": ["basic"]}, {"name": "active", "shape": [1], "datatype": "BOOL", "data": [true]}]}`,
	`{"inputs": [{"data": [1], "datatype": "UINT8", "shape": [1], "name": "tenure", "parameters": {"content_type": "np"}}]}`,
	`{"inputs": [{"name": "x", "shape": [1, 1, 1], "datatype": "FP64", "data": [1]}]}`,
	`{"inputs": [{"name": "x", "shape": [0], "datatype": "FP64", "data": []}]}`,
	`{"inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [1, Infinity]}]}`,
	`{"outputs": [{"name": "proba"}], "inputs": [{"name": "x", "shape": [3, 2], "datatype": "FP64", "data": [1, 2, 3, 4, 5, 6]}]}`,
}

func FuzzDecodeInfer(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzz seeds are skipped with -short")
	}
	for _, s := range inferSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b batch
		err := decodeInfer(data, &b, fuzzLimits)
		if err != nil {
			requireClientError(t, err)
			return
		}
		require.True(t, json.Valid(data), "accepted JSON that encoding/json refuses")
		require.Positive(t, b.rows())
		require.LessOrEqual(t, b.rows(), fuzzLimits.maxRows)
		width := len(b.row(0))
		for i := range b.rows() {
			require.Len(t, b.row(i), width, "every row has a value per input")
		}
		bindAll(t, &b)
	})
}
