"""What a base query may be made of: the node types, function names and data types the guard accepts.

Everything here is an allowlist. A node type, function or type that is not listed is refused, so a new
engine function (or one nobody thought of) is refused until someone decides it is a pure computation
on the rows and adds it. To extend: add the function's name to its dialect's set below (ClickHouse
names are case-sensitive as the engine reads them; PostgreSQL and BigQuery names are lower case), or,
when sqlglot parses it into a typed node, add that node class to `PURE_FUNCTIONS`; then add a query
using it to the legitimate corpus in tests/warehouse/test_sql_guard.py.
"""

from __future__ import annotations

from sqlglot import exp


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# -- the shape of a query ---------------------------------------------------------------------------
# Clauses, operators and leaves that only compute over rows already read.
STRUCTURE: frozenset[type[exp.Expr]] = frozenset({
    exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery, exp.From, exp.Join, exp.Where,
    exp.Group, exp.Having, exp.Qualify, exp.Order, exp.Ordered, exp.Limit, exp.Offset, exp.Fetch,
    exp.Distinct, exp.With, exp.CTE, exp.TableAlias, exp.Alias, exp.Aliases, exp.Column, exp.Identifier,
    exp.Star, exp.Literal, exp.RawString, exp.HexString, exp.BitString, exp.ByteString,
    exp.National, exp.RawString, exp.HexString, exp.BitString, exp.ByteString,
    exp.National, exp.Boolean, exp.Null, exp.Paren, exp.Tuple, exp.Bracket, exp.Dot,
    exp.Interval, exp.Var, exp.DataType, exp.DataTypeParam, exp.ColumnDef, exp.Window, exp.WindowSpec,
    exp.Lambda, exp.Table, exp.Final, exp.TableSample, exp.Filter, exp.IgnoreNulls, exp.RespectNulls,
    exp.HavingMax, exp.Between, exp.In, exp.Is, exp.Like, exp.ILike, exp.Not, exp.Neg, exp.Add, exp.Sub,
    exp.Mul, exp.Div, exp.Mod, exp.IntDiv, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE,
    exp.NullSafeEQ, exp.NullSafeNEQ, exp.BitwiseAnd, exp.BitwiseOr, exp.BitwiseXor, exp.BitwiseNot,
    exp.BitwiseLeftShift, exp.BitwiseRightShift, exp.DPipe, exp.Escape, exp.Any, exp.All,
    exp.PropertyEQ, exp.Kwarg, exp.JSONPath, exp.JSONPathKey, exp.JSONPathRoot, exp.JSONPathSubscript,
    exp.JSONPathWildcard, exp.JSONPathSlice, exp.Slice, exp.AtTimeZone, exp.Collate, exp.SimilarTo,
    exp.RegexpLike, exp.RegexpILike, exp.Unnest, exp.Pivot, exp.Exists, exp.JSONBContains, exp.Overlaps,
    exp.ArrayContainsAll, exp.ArrayContainedBy, exp.ArrayOverlaps, exp.Semicolon, exp.Cube, exp.Rollup,
    exp.GroupingSets, exp.StarMap, exp.Struct, exp.Array, exp.Distance, exp.WithinGroup,
    exp.PreWhere, exp.WithFill,
})

# Function nodes sqlglot types: every one of these computes a value from its arguments alone.
PURE_FUNCTIONS: frozenset[type[exp.Expr]] = frozenset({
    # aggregates
    exp.Count, exp.CountIf, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.AnyValue, exp.ApproxDistinct,
    exp.ApproxQuantile, exp.ApproxQuantiles, exp.ApproxTopK, exp.ArgMax, exp.ArgMin, exp.ArrayAgg,
    exp.ArrayConcatAgg, exp.ArrayUniqueAgg, exp.Corr, exp.CovarPop, exp.CovarSamp, exp.First, exp.Last,
    exp.GroupConcat, exp.LogicalAnd, exp.LogicalOr, exp.Median, exp.Mode, exp.PercentileCont,
    exp.PercentileDisc, exp.Quantile, exp.Stddev, exp.StddevPop, exp.StddevSamp, exp.Variance,
    exp.VariancePop, exp.Skewness, exp.Kurtosis, exp.BitwiseAndAgg, exp.BitwiseOrAgg, exp.BitwiseXorAgg,
    exp.JSONArrayAgg, exp.JSONObjectAgg, exp.JSONBObjectAgg, exp.Grouping, exp.GroupingId, exp.RegrAvgx,
    exp.RegrAvgy, exp.RegrCount, exp.RegrIntercept, exp.RegrR2, exp.RegrSlope, exp.RegrSxx, exp.RegrSxy,
    exp.RegrSyy,
    # window functions
    exp.RowNumber, exp.Rank, exp.DenseRank, exp.PercentRank, exp.CumeDist, exp.Ntile, exp.Lag, exp.Lead,
    exp.FirstValue, exp.LastValue, exp.NthValue,
    # conditional and logic
    exp.Case, exp.If, exp.Coalesce, exp.Nullif, exp.Nvl2, exp.Greatest, exp.Least, exp.IsNan,
    exp.IsInf, exp.And, exp.Or, exp.Xor, exp.EqualNull,
    # casts (the target type is checked separately)
    exp.Cast, exp.TryCast, exp.CastToStrType, exp.SafeFunc, exp.ToChar, exp.ToNumber, exp.ToDouble,
    exp.ToBoolean,
    # math
    exp.Abs, exp.Ceil, exp.Floor, exp.Round, exp.Trunc, exp.Sqrt, exp.Cbrt, exp.Exp, exp.Ln, exp.Log,
    exp.Pow, exp.Sign, exp.Pi, exp.Rand, exp.Degrees, exp.Radians, exp.Sin, exp.Cos, exp.Tan, exp.Asin,
    exp.Acos, exp.Atan, exp.Atan2, exp.SafeAdd, exp.SafeDivide, exp.SafeMultiply, exp.SafeNegate,
    exp.SafeSubtract, exp.WidthBucket, exp.RangeBucket, exp.Negative,
    # strings
    exp.Lower, exp.Upper, exp.Length, exp.BitLength, exp.ByteLength, exp.Concat, exp.ConcatWs,
    exp.Substring, exp.SubstringIndex, exp.Left, exp.Right, exp.Trim, exp.Pad, exp.Replace, exp.Reverse,
    exp.Repeat, exp.Split, exp.SplitPart, exp.StrPosition, exp.StartsWith, exp.EndsWith, exp.Contains,
    exp.Initcap, exp.Ascii, exp.Chr, exp.Translate, exp.Levenshtein, exp.RegexpExtract,
    exp.RegexpExtractAll, exp.RegexpReplace, exp.RegexpSplit, exp.RegexpCount, exp.RegexpInstr,
    exp.RegexpSubstr, exp.RegexpFullMatch, exp.Format, exp.Space, exp.Hex, exp.Unhex, exp.LowerHex,
    exp.MD5, exp.MD5Digest, exp.SHA, exp.SHA2, exp.SHA2Digest, exp.CityHash64, exp.FarmFingerprint,
    exp.ToBase64, exp.FromBase64, exp.Normalize, exp.Unicode, exp.Overlay, exp.Stuff, exp.NetFunc,
    exp.Host, exp.RegDomain, exp.StringToArray, exp.Soundex, exp.ParseUrl,
    # dates and times
    exp.CurrentDate, exp.CurrentTimestamp, exp.CurrentTime, exp.CurrentDatetime, exp.Localtime,
    exp.Localtimestamp, exp.UtcDate, exp.UtcTime, exp.UtcTimestamp, exp.Date, exp.Datetime, exp.Time,
    exp.Timestamp, exp.DateAdd, exp.DateSub, exp.DateDiff, exp.DateTrunc, exp.DatetimeAdd,
    exp.DatetimeSub, exp.DatetimeDiff, exp.DatetimeTrunc, exp.TimestampAdd, exp.TimestampSub,
    exp.TimestampDiff, exp.TimestampTrunc, exp.TimeAdd, exp.TimeSub, exp.TimeDiff, exp.TimeTrunc,
    exp.Extract, exp.Year, exp.Quarter, exp.Month, exp.Week, exp.WeekOfYear, exp.Day, exp.DayOfMonth,
    exp.DayOfWeek, exp.DayOfWeekIso, exp.DayOfYear, exp.Hour, exp.Minute, exp.Second, exp.Dayname,
    exp.Monthname, exp.LastDay, exp.AddMonths, exp.MonthsBetween, exp.DateBin, exp.DateFromParts,
    exp.TimestampFromParts, exp.TimeFromParts, exp.DateFromUnixDate, exp.UnixDate, exp.UnixSeconds,
    exp.UnixMillis, exp.UnixMicros, exp.UnixToTime, exp.UnixToStr, exp.UnixToTimeStr, exp.StrToDate,
    exp.StrToTime, exp.StrToUnix, exp.TimeToStr, exp.TimeToUnix, exp.TimeToTimeStr, exp.TimeStrToDate,
    exp.TimeStrToTime, exp.TimeStrToUnix, exp.TsOrDsAdd, exp.TsOrDsDiff, exp.TsOrDsToDate,
    exp.TsOrDsToDateStr, exp.TsOrDsToDatetime, exp.TsOrDsToTime, exp.TsOrDsToTimestamp, exp.TsOrDiToDi,
    exp.DateToDateStr, exp.DateStrToDate, exp.DateToDi, exp.DiToDate, exp.ConvertTimezone,
    exp.ParseDatetime, exp.ParseTime, exp.JustifyDays, exp.JustifyHours, exp.JustifyInterval,
    exp.MakeInterval, exp.GenerateDateArray, exp.GenerateTimestampArray, exp.WeekStart, exp.YearOfWeek,
    exp.YearOfWeekIso, exp.NextDay, exp.PreviousDay, exp.TimeSlice,
    # JSON
    exp.JSONExtract, exp.JSONExtractScalar, exp.JSONExtractArray, exp.JSONBExtract,
    exp.JSONBExtractScalar, exp.JSONBExists, exp.JSONExists, exp.JSONFormat, exp.JSONKeys, exp.JSONType,
    exp.JSONArray, exp.JSONObject, exp.JSONArrayContains, exp.JSONValueArray, exp.ParseJSON,
    exp.JSONCast, exp.JSONBool, exp.JSONStripNulls, exp.CheckJson, exp.IsArray, exp.JSONBPathExists,
    exp.JSONBContainsAnyTopKeys, exp.JSONBContainsAllTopKeys, exp.JSONBContainsTopKey,
    # arrays, maps, structs
    exp.ArrayAll, exp.ArrayAny, exp.ArrayConcat, exp.ArrayContains, exp.ArrayDistinct, exp.ArrayFilter,
    exp.ArrayFirst, exp.ArrayLast, exp.ArrayIntersect, exp.ArrayExcept, exp.ArrayPosition,
    exp.ArrayRemove, exp.ArrayReverse, exp.ArraySize, exp.ArraySlice, exp.ArraySort, exp.ArraySum,
    exp.ArrayMax, exp.ArrayMin, exp.ArrayToString, exp.ArrayAppend, exp.ArrayPrepend, exp.ArrayCompact,
    exp.Transform, exp.Explode, exp.StructExtract, exp.Map, exp.VarMap, exp.MapKeys,
    exp.MapContainsKey, exp.ToArray, exp.Flatten, exp.ArraysZip,
})

# Functions sqlglot leaves untyped (`Anonymous`), per dialect. ClickHouse aggregates also take the
# combinator suffixes below (sumIf, uniqExactIf, groupArrayDistinct, …).
CLICKHOUSE_FUNCTIONS: frozenset[str] = _words("""
toStartOfMinute toStartOfFiveMinute toStartOfFiveMinutes toStartOfTenMinutes toStartOfFifteenMinutes
toStartOfHour toStartOfDay toStartOfWeek toStartOfMonth toStartOfQuarter toStartOfYear toStartOfISOYear
toStartOfInterval toStartOfSecond toStartOfMillisecond toMonday toLastDayOfMonth toLastDayOfWeek
toDate toDate32 toDateTime toDateTime64 toDateOrNull toDateOrZero toDateTimeOrNull toDateTimeOrZero
toDateTime64OrNull toDate32OrNull parseDateTimeBestEffort parseDateTimeBestEffortOrNull
parseDateTimeBestEffortOrZero parseDateTime64BestEffort parseDateTime64BestEffortOrNull
parseDateTimeBestEffortUS parseDateTime parseDateTimeOrNull parseDateTimeInJodaSyntax
toYear toMonth toQuarter toDayOfMonth toDayOfWeek toDayOfYear toHour toMinute toSecond toMillisecond
toISOWeek toISOYear toWeek toYearWeek toYYYYMM toYYYYMMDD toYYYYMMDDhhmmss toUnixTimestamp
toUnixTimestamp64Milli toUnixTimestamp64Micro toUnixTimestamp64Nano fromUnixTimestamp
fromUnixTimestamp64Milli fromUnixTimestamp64Micro fromUnixTimestamp64Nano toTimeZone toTimezone
toRelativeYearNum toRelativeMonthNum toRelativeWeekNum toRelativeDayNum toRelativeHourNum
toRelativeMinuteNum toRelativeSecondNum dateDiff date_diff DATE_DIFF dateAdd date_add dateSub date_sub
timestamp_add timestamp_sub addSeconds addMinutes addHours addDays addWeeks addMonths addQuarters
addYears subtractSeconds subtractMinutes subtractHours subtractDays subtractWeeks subtractMonths
subtractQuarters subtractYears now now64 today yesterday formatDateTime formatDateTimeInJodaSyntax
timeSlot toIntervalSecond toIntervalMinute toIntervalHour toIntervalDay toIntervalWeek toIntervalMonth
toIntervalQuarter toIntervalYear dateTrunc date_trunc DATE_TRUNC age toDayOfWeek monthName
toString toFixedString toInt8 toInt16 toInt32 toInt64 toInt128 toInt256 toUInt8 toUInt16 toUInt32
toUInt64 toUInt128 toUInt256 toFloat32 toFloat64 toDecimal32 toDecimal64 toDecimal128 toDecimal256
toInt8OrNull toInt16OrNull toInt32OrNull toInt64OrNull toUInt8OrNull toUInt16OrNull toUInt32OrNull
toUInt64OrNull toFloat32OrNull toFloat64OrNull toDecimal64OrNull toInt32OrZero toInt64OrZero
toUInt32OrZero toUInt64OrZero toFloat64OrZero toInt64OrDefault toFloat64OrDefault toUUID toUUIDOrNull
toBool toNullable toLowCardinality assumeNotNull toTypeName accurateCast accurateCastOrNull
ifNull nullIf isNull isNotNull isZeroOrNull coalesce multiIf if not and or xor equals notEquals less
greater lessOrEquals greaterOrEquals
length lengthUTF8 char_length lower upper lowerUTF8 upperUTF8 substring substringUTF8 substr mid
concat concatWithSeparator concat_ws trim trimBoth trimLeft trimRight ltrim rtrim replaceAll replaceOne
replace replaceRegexpAll replaceRegexpOne regexpReplace position positionCaseInsensitive positionUTF8
locate match extract extractAll extractAllGroups extractGroups like ilike notLike notILike startsWith
endsWith splitByChar splitByString splitByRegexp splitByWhitespace arrayStringConcat leftPad rightPad
lpad rpad left right leftUTF8 rightUTF8 reverse repeat format empty notEmpty base64Encode base64Decode
tryBase64Decode hex unhex normalizeUTF8NFC countSubstrings countMatches multiSearchAny
multiSearchFirstIndex multiMatchAny
domain domainWithoutWWW topLevelDomain firstSignificantSubdomain protocol path pathFull queryString
fragment queryStringAndFragment extractURLParameter extractURLParameters extractURLParameterNames
cutQueryString cutFragment cutQueryStringAndFragment cutURLParameter cutWWW decodeURLComponent
encodeURLComponent netloc port
cityHash64 sipHash64 sipHash128 xxHash32 xxHash64 murmurHash2_64 murmurHash3_32 murmurHash3_64
farmFingerprint64 farmHash64 MD5 SHA1 SHA224 SHA256 SHA512 halfMD5 intHash32 intHash64
JSONExtract JSONExtractString JSONExtractInt JSONExtractUInt JSONExtractFloat JSONExtractBool
JSONExtractRaw JSONExtractKeys JSONExtractKeysAndValues JSONExtractKeysAndValuesRaw
JSONExtractArrayRaw JSONHas JSONLength JSONType JSONArrayLength isValidJSON JSON_VALUE JSON_QUERY
JSON_EXISTS simpleJSONExtractString simpleJSONExtractInt simpleJSONExtractUInt simpleJSONExtractFloat
simpleJSONExtractBool simpleJSONExtractRaw simpleJSONHas visitParamExtractString visitParamExtractInt
visitParamExtractUInt visitParamExtractFloat visitParamExtractBool visitParamExtractRaw visitParamHas
toJSONString
abs round roundBankers roundDown roundToExp2 floor ceil ceiling trunc truncate intDiv intDivOrZero
modulo moduloOrZero positiveModulo negate plus minus multiply divide exp exp2 exp10 log ln log2 log10
sqrt cbrt pow power greatest least sign e pi isNaN isFinite isInfinite sin cos tan asin acos atan atan2
rand rand64 randCanonical generateUUIDv4 bitAnd bitOr bitXor bitNot bitShiftLeft bitShiftRight
array arrayJoin has hasAll hasAny hasSubstr indexOf arrayMap arrayFilter arrayExists arrayAll
arrayCount arraySum arrayAvg arrayMin arrayMax arraySort arrayReverseSort arrayReverse arrayDistinct
arrayUniq arrayConcat arraySlice arrayElement arrayEnumerate arrayEnumerateUniq arrayCompact
arrayFlatten flatten arrayZip arrayFirst arrayLast arrayFirstIndex arrayReduce arrayPushBack
arrayPushFront arrayPopBack arrayPopFront arrayResize arrayIntersect arrayDifference arrayCumSum
arrayProduct arrayStringConcat arraySplit emptyArrayString emptyArrayUInt64 range tuple tupleElement
untuple map mapKeys mapValues mapContains
count sum avg min max any anyLast anyHeavy argMin argMax uniq uniqExact uniqCombined uniqCombined64
uniqHLL12 uniqTheta groupArray groupUniqArray groupArraySample groupArraySorted groupBitOr groupBitAnd
groupBitXor quantile quantiles quantileExact quantilesExact quantileExactWeighted quantileTiming
quantilesTiming quantileTDigest quantilesTDigest quantileDeterministic median medianExact stddevPop
stddevSamp varPop varSamp covarPop covarSamp corr topK topKWeighted sumWithOverflow avgWeighted
countDistinct entropy simpleLinearRegression skewPop skewSamp kurtPop kurtSamp any_value anyValue
first_value last_value nth_value row_number rank dense_rank percent_rank cume_dist ntile lagInFrame
leadInFrame lag lead retention windowFunnel sequenceMatch sequenceCount
""")

CLICKHOUSE_AGGREGATES: frozenset[str] = _words("""
count sum avg min max any anyLast anyHeavy argMin argMax uniq uniqExact uniqCombined uniqCombined64
uniqHLL12 uniqTheta groupArray groupUniqArray groupBitOr groupBitAnd groupBitXor quantile quantiles
quantileExact quantilesExact quantileTDigest quantilesTDigest quantileTiming median medianExact
stddevPop stddevSamp varPop varSamp covarPop covarSamp corr topK sumWithOverflow avgWeighted
""")
CLICKHOUSE_COMBINATORS: tuple[str, ...] = ("If", "Array", "Distinct", "OrNull", "OrDefault", "Merge",
                                           "State", "ForEach", "Map")

POSTGRES_FUNCTIONS: frozenset[str] = _words("""
date_trunc date_part extract age now current_date current_timestamp localtimestamp clock_timestamp
statement_timestamp transaction_timestamp to_char to_date to_timestamp to_number make_date make_time
make_timestamp make_timestamptz make_interval date_bin justify_days justify_hours justify_interval
isfinite timezone
json_extract_path json_extract_path_text jsonb_extract_path jsonb_extract_path_text json_typeof
jsonb_typeof json_array_length jsonb_array_length jsonb_object_keys json_object_keys
jsonb_array_elements jsonb_array_elements_text json_array_elements json_array_elements_text
jsonb_each jsonb_each_text json_each json_each_text jsonb_build_object json_build_object
jsonb_build_array json_build_array to_json to_jsonb jsonb_strip_nulls json_strip_nulls jsonb_pretty
jsonb_path_query_first jsonb_path_exists jsonb_path_match jsonb_exists jsonb_set
json_agg jsonb_agg json_object_agg jsonb_object_agg
lower upper length char_length character_length octet_length bit_length substr substring left right
lpad rpad trim btrim ltrim rtrim replace regexp_replace regexp_match regexp_matches regexp_like
regexp_count regexp_instr regexp_substr regexp_split_to_array split_part position strpos concat
concat_ws initcap md5 sha256 encode reverse repeat starts_with string_to_array array_to_string
translate ascii chr to_hex format quote_literal
abs ceil ceiling floor round trunc sqrt cbrt power pow exp ln log log10 mod sign greatest least
random width_bucket div pi degrees radians sin cos tan asin acos atan atan2 gcd lcm
coalesce nullif
count sum avg min max bool_and bool_or every array_agg string_agg percentile_cont percentile_disc mode
stddev stddev_pop stddev_samp variance var_pop var_samp corr covar_pop covar_samp regr_slope
regr_intercept regr_r2 regr_count regr_avgx regr_avgy bit_and bit_or bit_xor
row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
array_length cardinality unnest array_position array_positions array_remove array_replace array_cat
array_append array_prepend array_upper array_lower array_ndims
""")

BIGQUERY_FUNCTIONS: frozenset[str] = _words("""
timestamp_seconds timestamp_millis timestamp_micros unix_seconds unix_millis unix_micros unix_date
format_timestamp format_date format_datetime format_time parse_timestamp parse_date parse_datetime
parse_time date_trunc timestamp_trunc datetime_trunc time_trunc date_diff timestamp_diff datetime_diff
time_diff date_add date_sub timestamp_add timestamp_sub datetime_add datetime_sub time_add time_sub
current_date current_timestamp current_datetime current_time extract last_day date_from_unix_date
date timestamp datetime time date_bucket datetime_bucket timestamp_bucket generate_date_array
generate_timestamp_array
json_value json_query json_extract json_extract_scalar json_extract_array json_extract_string_array
json_value_array json_query_array to_json_string to_json parse_json json_type json_keys lax_bool
lax_float64 lax_int64 lax_string bool int64 float64 string json_array json_object json_strip_nulls
approx_count_distinct approx_quantiles approx_top_count approx_top_sum countif logical_and logical_or
string_agg array_agg any_value count sum avg min max stddev stddev_pop stddev_samp variance var_pop
var_samp corr covar_pop covar_samp percentile_cont percentile_disc bit_and bit_or bit_xor
row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
generate_array array_length array_to_string array_concat array_reverse array_first array_last
array_slice array_includes split regexp_contains regexp_extract regexp_extract_all regexp_replace
regexp_instr regexp_substr starts_with ends_with contains_substr format lpad rpad strpos instr substr
substring length char_length character_length byte_length lower upper trim ltrim rtrim replace
reverse repeat concat initcap normalize normalize_and_casefold left right ascii chr unicode
code_points_to_string to_code_points safe_convert_bytes_to_string to_base64 from_base64 to_hex
from_hex farm_fingerprint md5 sha1 sha256 sha512 soundex translate
abs ceil ceiling floor round trunc sqrt cbrt pow power exp ln log log10 mod sign greatest least rand
div ieee_divide safe_divide safe_multiply safe_add safe_subtract safe_negate is_nan is_inf range_bucket
if ifnull nullif coalesce iif
""")

# Scalar types a value may be cast to. User-defined and catalog types (`::regclass`, `::oid`) are not
# listed: casting to them looks names up in the system catalog.
DATA_TYPES: frozenset[exp.DType] = frozenset({
    getattr(exp.DType, name) for name in _words("""
    BIGINT BIGDECIMAL BIT BOOLEAN CHAR DATE DATE32 DATETIME DATETIME64 DECIMAL DECIMAL32 DECIMAL64
    DECIMAL128 DECIMAL256 DOUBLE FLOAT INT INT128 INT256 MEDIUMINT SMALLINT TINYINT UBIGINT UINT
    UINT128 UINT256 USMALLINT UTINYINT UMEDIUMINT NUMERIC BIGNUMERIC MONEY NCHAR NVARCHAR TEXT
    VARCHAR NAME JSON JSONB UUID TIME TIMETZ TIMESTAMP TIMESTAMPTZ TIMESTAMPLTZ TIMESTAMP_S
    TIMESTAMP_MS TIMESTAMP_NS INTERVAL ARRAY MAP STRUCT NULLABLE LOWCARDINALITY TUPLE FIXEDSTRING
    ENUM ENUM8 ENUM16 NESTED NOTHING NULL VARBINARY BINARY BLOB DECFLOAT UNKNOWN
    """) if hasattr(exp.DType, name)
})
