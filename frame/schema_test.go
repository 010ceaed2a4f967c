package frame

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// oneColumn returns a one-column CSV named name with the given values.
func oneColumn(name string, values ...string) string {
	var b []byte
	if name == "" {
		b = append(b, `""`...)
	}
	b = appendField(b, []byte(name))
	for _, v := range values {
		b = append(b, '\n')
		if v == "" {
			b = append(b, `""`...)
		}
		b = appendField(b, []byte(v))
	}
	return string(b) + "\n"
}

// seq returns n values made by format with 0, 1, ...
func seq(n int, format string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

func TestInferSchema(t *testing.T) {
	t.Parallel()
	long := func(i int) string {
		return fmt.Sprintf("%d: the customer wrote a long complaint about the delivery", i)
	}
	tests := []struct {
		name   string
		column string // column name
		values []string
		typ    Type
		kind   Kind
	}{
		// Rule 2: constant.
		{"all missing", "x", []string{"", "NA", ""}, TypeNumeric, KindConstant},
		{"one number", "x", []string{"3", "3", "NA"}, TypeNumeric, KindConstant},
		{"one string", "x", []string{"a", "a"}, TypeCategorical, KindConstant},
		{"one boolean", "x", []string{"yes", "yes"}, TypeBool, KindConstant},
		{"one datetime", "x", []string{"2024-01-01", ""}, TypeDatetime, KindConstant},
		// Rule 3: booleans and datetimes.
		{"true/false", "x", []string{"true", "False", "TRUE"}, TypeBool, KindBoolean},
		{"yes/no", "x", []string{"yes", "no", "Yes"}, TypeBool, KindBoolean},
		{"y/n and t/f", "x", []string{"Y", "n", "t", "F"}, TypeBool, KindBoolean},
		{"yes/no with 0/1", "x", []string{"yes", "0", "1", "no"}, TypeBool, KindBoolean},
		{"ISO date", "x", []string{"2024-01-02", "2024-02-29"}, TypeDatetime, KindDatetime},
		{"ISO datetime with space", "x", []string{"2024-01-02 15:04:05", "2024-01-02 15:04"}, TypeDatetime, KindDatetime},
		{"ISO T and fraction", "x", []string{"2024-01-02T15:04:05", "2024-01-02T15:04:05.123"}, TypeDatetime, KindDatetime},
		{"RFC 3339", "x", []string{"2024-01-02T15:04:05Z", "2024-01-02T15:04:05+02:00", "2024-01-02T15:04:05.5-0130"}, TypeDatetime, KindDatetime},
		{"US date", "x", []string{"01/02/2006", "12/31/2006", "1/5/2007"}, TypeDatetime, KindDatetime},
		{"US date and time", "x", []string{"01/02/2006 15:04:05", "12/31/2006 01:00:00"}, TypeDatetime, KindDatetime},
		{"day-first date", "x", []string{"31/01/2006", "13/12/2006"}, TypeDatetime, KindDatetime},
		{"dotted date", "x", []string{"31.01.2006", "13.12.2006"}, TypeDatetime, KindDatetime},
		{"slashed ISO", "x", []string{"2006/01/31", "2006/12/13"}, TypeDatetime, KindDatetime},
		{"named month", "x", []string{"02-Jan-2006", "13-Dec-2006"}, TypeDatetime, KindDatetime},
		{"not a date", "x", []string{"2024-01-02", "2024-02-30"}, TypeCategorical, KindCategorical},
		// Rule 4: numeric storage.
		{"numbers", "x", []string{"1.5", "2", "-3e2"}, TypeNumeric, KindNumeric},
		{"0/1 numbers", "x", []string{"0", "1", "1", "NA"}, TypeNumeric, KindBoolean},
		{"0/1 floats", "x", []string{"0.0", "1.0", "1"}, TypeNumeric, KindBoolean},
		{"integers with id name", "user_id", []string{"17", "3", "99"}, TypeNumeric, KindID},
		{"integers with camel-case id name", "customerID", []string{"17", "3", "99"}, TypeNumeric, KindID},
		{"repeated integers with id name", "user_id", []string{"17", "3", "17"}, TypeNumeric, KindNumeric},
		{"contiguous integers", "n", seq(25, "%d"), TypeNumeric, KindID},
		{"contiguous integers, too few", "n", seq(5, "%d"), TypeNumeric, KindNumeric},
		{"distinct non-contiguous integers", "n", seq(25, "%d0"), TypeNumeric, KindNumeric},
		{"fractions with id name", "id", []string{"1.5", "2.5"}, TypeNumeric, KindNumeric},
		// Rule 5: strings.
		{"few strings", "x", []string{"red", "green", "red", "blue"}, TypeCategorical, KindCategorical},
		{"long distinct strings", "x", []string{long(1), long(2), long(3), long(1)}, TypeText, KindText},
		{"long repeated strings", "x", []string{long(1), long(1), long(1), long(2)}, TypeCategorical, KindCategorical},
		{"distinct strings with id name", "ticket_id", []string{"T-1", "T-2", "T-3"}, TypeText, KindID},
		{"many distinct strings", "code", seq(25, "C%03d"), TypeText, KindID},
		{"few distinct strings without id name", "code", []string{"C1", "C2", "C3"}, TypeCategorical, KindCategorical},
		{"many short strings, mostly distinct", "word", append(seq(30, "w%d"), "w1", "w2"), TypeText, KindText},
		{"many short strings, half distinct", "word", append(seq(30, "w%d"), seq(30, "w%d")...), TypeCategorical, KindCategorical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := readString(t, oneColumn(tt.column, tt.values...), ReadOptions{})
			require.Equal(t, tt.typ, f.ColumnAt(0).Type())
			s := InferSchema(f, SchemaOptions{})
			require.Len(t, s.Fields, 1)
			require.Equal(t, tt.column, s.Fields[0].Name)
			require.Equal(t, tt.typ, s.Fields[0].Type)
			require.Equal(t, tt.kind, s.Fields[0].Kind)
		})
	}
}

func TestInferSchemaCounts(t *testing.T) {
	t.Parallel()
	f := readString(t, "a,b,c\n1,x,yes\nNA,y,\n3,x,no\n", ReadOptions{})
	s := InferSchema(f, SchemaOptions{Kinds: map[string]Kind{"a": KindCategorical}})
	require.Equal(t, []Field{
		{Name: "a", Type: TypeNumeric, Kind: KindCategorical, Missing: 1, Overridden: true},
		{Name: "b", Type: TypeCategorical, Kind: KindCategorical, Missing: 0, Distinct: 2},
		{Name: "c", Type: TypeBool, Kind: KindBoolean, Missing: 1, Distinct: 2},
	}, s.Fields)
	fd, ok := s.Field("b")
	require.True(t, ok)
	require.Equal(t, KindCategorical, fd.Kind)
	_, ok = s.Field("z")
	require.False(t, ok)
}

func TestInferSchemaBuiltColumns(t *testing.T) {
	t.Parallel()
	// Columns built in code follow the same rules as read ones.
	f, err := New(
		[]string{"txt", "cat", "b", "d"},
		[]Column{
			NewText([]string{"a", "b", "a", "c"}, nil),
			NewCategorical([]int32{0, 0, 0, -1}, []string{"k", "unused"}),
			NewBool([]bool{true, true, false, false}, []bool{false, false, true, true}),
			NewDatetime([]int64{1, 2, NaT, 3}),
		})
	require.NoError(t, err)
	s := InferSchema(f, SchemaOptions{})
	kinds := []Kind{}
	for _, fd := range s.Fields {
		kinds = append(kinds, fd.Kind)
	}
	require.Equal(t, []Kind{KindCategorical, KindConstant, KindConstant, KindDatetime}, kinds)
}

func TestSchemaJSON(t *testing.T) {
	t.Parallel()
	f := readString(t, "id,city,score\n1,Paris,0.5\n2,Oslo,NA\n", ReadOptions{})
	b, err := json.Marshal(InferSchema(f, SchemaOptions{}))
	require.NoError(t, err)
	require.JSONEq(t, `{"fields":[
		{"name":"id","type":"numeric","kind":"id","missing":0,"distinct":2},
		{"name":"city","type":"categorical","kind":"categorical","missing":0,"distinct":2},
		{"name":"score","type":"numeric","kind":"constant","missing":1,"distinct":1}
	]}`, string(b))
	var back Schema
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, InferSchema(f, SchemaOptions{}), back)
}

func TestTypeAndKindText(t *testing.T) {
	t.Parallel()
	for _, typ := range []Type{TypeNumeric, TypeCategorical, TypeBool, TypeDatetime, TypeText} {
		b, err := typ.MarshalText()
		require.NoError(t, err)
		var back Type
		require.NoError(t, back.UnmarshalText(b))
		require.Equal(t, typ, back)
		require.Equal(t, string(b), typ.String())
	}
	for _, k := range []Kind{KindNumeric, KindCategorical, KindBoolean, KindDatetime, KindText, KindID, KindConstant} {
		b, err := k.MarshalText()
		require.NoError(t, err)
		var back Kind
		require.NoError(t, back.UnmarshalText(b))
		require.Equal(t, k, back)
		require.Equal(t, string(b), k.String())
	}
	var typ Type
	require.EqualError(t, typ.UnmarshalText([]byte("float")), `frame: unknown type "float" (want numeric, categorical, boolean, datetime or text)`)
	var k Kind
	require.Error(t, k.UnmarshalText([]byte("")))
	_, err := Type(0).MarshalText()
	require.Error(t, err)
	_, err = Kind(99).MarshalText()
	require.Error(t, err)
	require.Equal(t, "Type(9)", Type(9).String())
	require.Equal(t, "Kind(0)", Kind(0).String())
}

func TestIDName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"id": true, "ID": true, "user_id": true, "ticket-id": true, "customerId": true, "customerID": true,
		"uuid": true, "Key": true, "order_key": true,
		"valid": false, "paid": false, "PID": false, "idea": false, "width": false, "VALID": false,
	} {
		require.Equal(t, want, idName(name), name)
	}
}

func TestInferSchemaDatasets(t *testing.T) {
	t.Parallel()
	// The example datasets: every feature numeric, the targets as their
	// values say.
	for file, target := range map[string]Kind{
		"iris.csv":          KindNumeric,
		"wine.csv":          KindNumeric,
		"breast_cancer.csv": KindBoolean,
		"diabetes.csv":      KindNumeric,
	} {
		f, err := ReadFile("/work/shared/datasets/"+file, ReadOptions{})
		if err != nil && strings.Contains(err.Error(), "no such file") {
			t.Skip("datasets not available")
		}
		require.NoError(t, err)
		s := InferSchema(f, SchemaOptions{})
		for _, fd := range s.Fields {
			require.Equal(t, TypeNumeric, fd.Type, file+" "+fd.Name)
			if fd.Name == "target" {
				require.Equal(t, target, fd.Kind, file)
			} else {
				require.Equal(t, KindNumeric, fd.Kind, file+" "+fd.Name)
			}
		}
	}
}
