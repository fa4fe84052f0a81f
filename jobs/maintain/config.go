package maintain

import "github.com/ispacct/ispacct/config"

// FromConfig is the one place the retention limits are taken from the
// configuration, for 'ispacct maintain' and the chains alike.
func FromConfig(c *config.Config) Retention {
	return Retention{RawDays: c.Retention.RawDays, AggregateDays: c.Retention.AggregateDays}
}

// KeepsAll reports whether no limit is set: then nothing is ever removed.
func (r Retention) KeepsAll() bool { return r.RawDays == 0 && r.AggregateDays == 0 }
