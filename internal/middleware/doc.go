// Package middleware is what every HTTP request passes through before its
// route's handler: the request id, the request deadline with its buffered answer, the body
// caps (read before and after authentication), bearer authentication
// within the rate limits, the request log and its status recorder,
// security headers and CORS. Each piece is a plain func(http.Handler)
// http.Handler; internal/app chains them.
package middleware
