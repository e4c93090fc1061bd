# Latency against throughput, one panel per method, from `anteroom-bench methods
# --plot_data=FILE`: each server's points are its depths of calls in flight.
#   gnuplot -e "data='methods.tsv'; out='docs/benchmarks.png'" tests/bench/plot.gp
set terminal pngcairo size 1500,640 font "DejaVu Sans,10"
set output out
set termoption noenhanced
set datafile separator "\t"
set multiplot layout 1,3 title "Anteroom on one 2-core machine: p99 latency against calls/s (points: 64, 512, 1024 calls in flight)"
set logscale y
set grid
set key below
set xlabel "calls/s"
set ylabel "p99 latency (ms)"
servers = "anteroomd|anteroomd (WAL, no fsync)|anteroomd --sync_writes|anteroomd replicated (3 etcd)|gRPC alone (no-op)|Redis sorted set (AOF everysec)|Redis sorted set (AOF always)"
n = 7
server(i) = (s = servers, word_at(s, i))
# word_at: the i-th field of a |-separated list
word_at(s, i) = (i == 1) ? (strstrt(s, "|") > 0 ? s[1:strstrt(s, "|") - 1] : s) : word_at(s[strstrt(s, "|") + 1:], i - 1)
do for [m in "Poll Heartbeat Admit"] {
  set title m
  plot for [i=1:n] data using (strcol(1) eq m && strcol(2) eq server(i) ? $4 : 1/0):(strcol(1) eq m && strcol(2) eq server(i) ? $6 : 1/0) \
    with linespoints pointsize 1.2 linewidth 2 title server(i)
}
unset multiplot
