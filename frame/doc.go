// Package frame is a columnar table with typed columns, explicit missing
// values, schema inference and fast CSV and Parquet readers.
//
// A [Frame] holds named columns of equal length. Each column has one of five
// storage types, and each type has an exact representation of a missing
// value:
//
//   - [Numeric]: float64 values; NaN is the missing value.
//   - [Categorical]: int32 codes into a dictionary of categories; code -1 is missing.
//   - [Bool]: booleans with an explicit missing mask.
//   - [Datetime]: int64 Unix nanoseconds in UTC; [NaT] (math.MinInt64) is missing.
//   - [Text]: free strings with an explicit missing mask.
//
// Columns are immutable once built: [Frame.Take], [Frame.Select] and
// [Frame.Drop] return new frames and may share storage with the original.
//
// [ReadCSV] and [ReadFile] infer the storage type of every column while they
// parse. [InferSchema] then gives each column a semantic [Kind] (numeric,
// categorical, boolean, datetime, text, id or constant); the rules are listed
// on [InferSchema].
package frame
