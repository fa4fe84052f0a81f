package conformance

import "github.com/ispacct/ispacct/mailer/mailtest"

// mailDomain is the test Postfix's local domain: mail to it is "in".
const mailDomain = mailtest.Domain
