#!/bin/sh
# callgrind.sh counts the instructions bench/screen spends screening the
# names of a file (one a line; bench/screen -tailqueries writes the slowest
# 2% of a run), with valgrind's callgrind: the same count for the same
# build whatever else the machine is doing, unlike a timing. Compare two
# builds of the matcher on the same file:
#
#	go build -o /tmp/before ./bench/screen   # on the old commit
#	go build -o /tmp/after ./bench/screen    # on the new one
#	/tmp/after -quality=false -rescreen 0 -tailqueries /tmp/tail.txt
#	bench/screen/callgrind.sh /tmp/before /tmp/tail.txt
#	bench/screen/callgrind.sh /tmp/after /tmp/tail.txt
#
# Arguments after the file go to bench/screen: with -replay-memo the names
# are screened in order with the lookup memo, as a server meets them
# (-writequeries writes the timed run's queries in that order):
#
#	/tmp/after -quality=false -rescreen 0 -synthetic 0 -writequeries /tmp/all.txt
#	head -6000 /tmp/all.txt > /tmp/first.txt
#	bench/screen/callgrind.sh /tmp/after /tmp/first.txt -replay-memo
#
# The Go runtime's RDTSCP and preemption signals are turned off: valgrind
# does not run the one and mishandles the other. The collector is off,
# whose share of the count would vary from run to run.
set -eu
bin=$1 file=$2
shift 2
data=${DATA:-../shared/data/sanctions}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
GOGC=off GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=callgrind \
	--callgrind-out-file="$out" --toggle-collect='main.screenOnce' \
	"$bin" -data "$data" -replay "$file" "$@" 2>&1 | sed -n 's/.*Collected : //p'
