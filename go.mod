module github.com/ispacct/ispacct

go 1.26.8
