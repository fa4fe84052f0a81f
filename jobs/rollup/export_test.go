package rollup

// FuseDay rolls up a day as the daily chain's archive does.
var FuseDay = fuseDay

// SetMaxMailRecs bounds the mail rows a Fused holds; restore undoes it.
func SetMaxMailRecs(n int) (restore func()) {
	was := maxMailRecs
	maxMailRecs = n
	return func() { maxMailRecs = was }
}
