module github.com/oversight-dev/oversight

go 1.26.8
