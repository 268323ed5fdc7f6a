using Statehouse.Bench;

// statehouse-bench: a load generator for Statehouse (and etcd, for comparison). See bench/README.md.
const string Usage = """
usage: statehouse-bench <command> [--option value ...]
  load      --target statehouse|etcd --endpoint http://127.0.0.1:P --workload put|get|mixed --clients N --seconds S
            [--warmup 1 --value-bytes 100 --keys 100000 --server-pid PID --round R --out results.jsonl --idle-wait-ms 5000]
  fill      --target statehouse|etcd --endpoint URL [--keys 100000 --value-bytes 100 --clients 64 --max-seconds 120]
  engine    [--writers 64 --seconds 10 --warmup 1 --value-bytes 100 --keys 100000 --data DIR --unsafe-no-fsync --out F]
  host-groups [--groups 1 --nodes 1|3 --writers 64 --seconds 10 --warmup 1 --value-bytes 100 --tick-ms 100 --idle --data DIR --out F]
  watch     --endpoint URL [--watchers 100 --rate 1000 --seconds 10 --value-bytes 100 --server-pid PID --out F]
  snapshot-stall --endpoint URL --http URL [--keys 1000000 --writers 16 --before-seconds 3 --after-seconds 2 --server-pid PID --out F]
  restart   --dll statehouse.dll --data DIR --http H:P --grpc H:P --pid PID --pidfile F [--rounds 3 --tail-writes 20000 --keys 1000000 --out F]
  hotkey    --endpoint URL [--mode hot|spread --writes 1000000 --writers 32 --spread-keys 100000 --server-pid PID --round R --out F]
            (one key overwritten --writes times, or the same writes over many keys, while a bystander writes other keys)
  hotkey-report --in results.jsonl
  wal       [--appends 5000 --batches 1,64 --value-bytes 100 --data DIR --high-water-ms 20 --preallocate both]   (the log alone: append + fdatasync)
  report    --in results.jsonl
  (3-member clusters, used by bench/cluster.sh; FILE = one member per line: name, gRPC URL, HTTP URL or -, pidfile, log, command, tab-separated)
  load ... [--read default|linearizable|local --cluster-pids P1,P2,P3 --label CASE --via leader|follower]
            local reads: Statehouse consistency session (min_revision = highest revision seen), etcd serializable
  cluster-leader --target statehouse|etcd --members FILE [--timeout-seconds 30 --wait-caught-up]   prints the leader's name
  failover  --target statehouse|etcd --members FILE [--rounds 1 --round-offset 0 --write-timeout-ms 100 --interval-ms 2
            --settle-ms 1000 --failover-timeout-seconds 30 --catch-up-timeout-seconds 60 --max-seconds 600 --out F]
  cluster-report --in results.jsonl
  web --url http://127.0.0.1:5000 [--users 64 --seconds 10 --warmup 2 --path /api/cart --label L]
""";

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 64 : 0;
}

try
{
    var a = new Args(args, 1);
    return args[0] switch
    {
        "load" => await LoadCommand.RunAsync(a),
        "fill" => await FillCommand.RunAsync(a),
        "engine" => await EngineCommand.RunAsync(a),
        "host-groups" => await HostGroupsCommand.RunAsync(a),
        "watch" => await WatchCommand.RunAsync(a),
        "snapshot-stall" => await SnapshotStallCommand.RunAsync(a),
        "restart" => await RestartCommand.RunAsync(a),
        "wal" => await WalCommand.RunAsync(a),
        "hotkey" => await HotKeyCommand.RunAsync(a),
        "hotkey-report" => HotKeyReportCommand.Run(a),
        "report" => ReportCommand.Run(a),
        "cluster-leader" => await ClusterLeaderCommand.RunAsync(a),
        "failover" => await FailoverCommand.RunAsync(a),
        "cluster-report" => ClusterReportCommand.Run(a),
        "web" => await WebCommand.RunAsync(a),
        _ => throw new ArgumentException($"Unknown command '{args[0]}'.\n{Usage}"),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 64;
}
