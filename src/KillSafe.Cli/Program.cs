using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using KillSafe.Verification;

namespace KillSafe.Cli;

/// <summary>
/// killsafe scan | sweep | verify. Exit codes: 0 clean, 1 something leaks or a restart fails, 2 bad input
/// (a one-line message on stderr, never a stack trace).
/// </summary>
public static class Program
{
    public const int Clean = 0, Leaking = 1, Usage = 2;

    private const string Help = """
        usage:
          killsafe scan  [--json] [--dir DIR]...                 what on this machine outlives its owner
          killsafe sweep [--apply] [--json] [--dir DIR]...       remove it (dry run unless --apply)
          killsafe verify [--signal KILL|TERM|INT|HUP] [--ready-line TEXT | --ready-file PATH | --ready-port N]
                          [--no-restart] [--timeout SECONDS] [--ignore-runtime-litter] [--json] [--dir DIR]... -- COMMAND [ARGS]...
                                                                 run COMMAND, signal it when ready, report what it left
                                                                 and whether what it held can be taken again at once
          killsafe review --sarif FILE [--sarif FILE]... --base REF [--format github|markdown|json] [--repo DIR]
                                                                 the build's KillSafe findings on the lines a change touches
        """;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static async Task<int> Main(string[] args)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                Console.Out.Write(Help);
                return args.Length == 0 ? Usage : Clean;
            }

            var command = args[0];
            var options = Options.Parse(args.AsSpan(1).ToArray(), allowCommand: command == "verify");
            return command switch
            {
                "scan" => Scan(options),
                "sweep" => Sweep(options),
                "verify" => await VerifyAsync(options).ConfigureAwait(false),
                "review" => Review.Run(options.Sarif, options.Base, options.Format ?? "github", options.Repository ?? Directory.GetCurrentDirectory()),
                _ => throw new UsageException($"unknown command '{command}' (scan, sweep, verify, review)"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("killsafe: " + e.Message);
            return Usage;
        }
        catch (Exception e) when (e is VerificationException or KillSafe.Verification.Proc.ProcParseException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("killsafe: " + e.Message.Split('\n')[0]);
            if (e.Message.Contains('\n', StringComparison.Ordinal))
                Console.Error.WriteLine(e.Message[(e.Message.IndexOf('\n', StringComparison.Ordinal) + 1)..].TrimEnd());
            return Usage;
        }
    }

    private static int Scan(Options options)
    {
        var report = Leaks.Scan(Snapshot.Take(options.Snapshot), options.Diff);
        if (options.Json)
            Console.Out.WriteLine(JsonSerializer.Serialize(new { leftovers = report.Leftovers, runtimeLitter = report.RuntimeLitter, messageQueuesMounted = report.MessageQueuesMounted }, Json));
        else
            PrintTable(report.Leftovers.Concat(report.RuntimeLitter).ToList(), report.MessageQueuesMounted);
        return report.IsClean ? Clean : Leaking;
    }

    private static int Sweep(Options options)
    {
        var report = Leaks.Scan(Snapshot.Take(options.Snapshot), options.Diff);
        var actions = Sweeper.Sweep(report.Leftovers.Concat(report.RuntimeLitter), options.Apply);
        if (options.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new { apply = options.Apply, actions }, Json));
        }
        else
        {
            foreach (var action in actions)
                Console.Out.WriteLine($"{(action.Removed ? options.Apply ? "removed " : "would   " : "skipped ")} {action.Leftover.Kind,-18} {action.Leftover.Identity}  {action.Reason}");
            if (!options.Apply)
                Console.Out.WriteLine("dry run: nothing was changed; run with --apply to remove");
        }

        return Clean;
    }

    private static async Task<int> VerifyAsync(Options options)
    {
        if (options.Command.Count == 0)
            throw new UsageException("verify needs a command after --");
        var run = await KillRun.RunAsync(new KillRunOptions
        {
            FileName = options.Command[0],
            Arguments = options.Command.Skip(1).ToList(),
            Ready = options.Ready,
            Signal = options.Signal,
            Timeout = options.Timeout,
            CheckRestart = options.Restart,
            Snapshot = options.Snapshot,
            Diff = options.Diff,
            Progress = options.Json ? null : message => Console.Error.WriteLine("killsafe: " + message),
        }).ConfigureAwait(false);

        if (options.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                passed = run.Passed,
                exitCode = run.ExitCode,
                leftovers = run.Leaks.Leftovers,
                runtimeLitter = run.Leaks.RuntimeLitter,
                restartHazards = run.Leaks.Hazards,
                restart = run.Restart,
                suppressions = run.Leaks.Suppressions,
                settleMilliseconds = (long)run.Leaks.SettleTime.TotalMilliseconds,
                messageQueuesMounted = run.Leaks.MessageQueuesMounted,
            }, Json));
        }
        else
        {
            Console.Out.Write(run.Leaks.Describe());
            foreach (var restart in run.Restart)
                Console.Out.WriteLine($"restart check: {restart}");
            Console.Out.WriteLine(run.Passed ? "PASS: nothing left behind, restart works" : "FAIL");
        }

        return run.Passed ? Clean : Leaking;
    }

    private static void PrintTable(IReadOnlyList<Leftover> leftovers, bool mqueueMounted)
    {
        Console.Out.WriteLine($"{"KIND",-18} {"IDENTITY",-48} {"OWNER",-20} {"SIZE",8}  REMOVE WITH");
        foreach (var leftover in leftovers)
        {
            var kind = leftover.IsRuntimeLitter ? ".NET runtime" : leftover.Kind.ToString();
            Console.Out.WriteLine($"{kind,-18} {leftover.Identity,-48} {leftover.Owner,-20} {leftover.Size?.ToString(CultureInfo.InvariantCulture) ?? "",8}  {leftover.RemovalCommand}");
        }

        if (leftovers.Count == 0)
            Console.Out.WriteLine("(nothing outlives its owner)");
        if (!mqueueMounted)
            Console.Out.WriteLine("note: /dev/mqueue is not mounted, POSIX message queues were not inspected");
    }
}

/// <summary>Bad command-line input.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Parsed command-line options.</summary>
internal sealed class Options
{
    public bool Json { get; private set; }

    public bool Apply { get; private set; }

    public bool Restart { get; private set; } = true;

    public KillSignal Signal { get; private set; } = KillSignal.Kill;

    public Readiness? Ready { get; private set; }

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(30);

    public SnapshotOptions Snapshot { get; } = new();

    public DiffOptions Diff { get; } = new();

    public List<string> Command { get; } = new();

    public List<string> Sarif { get; } = new();

    public string? Base { get; private set; }

    public string? Format { get; private set; }

    public string? Repository { get; private set; }

    public static Options Parse(string[] args, bool allowCommand)
    {
        var options = new Options();
        var directories = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--json": options.Json = true; break;
                case "--apply": options.Apply = true; break;
                case "--no-restart": options.Restart = false; break;
                case "--restart": options.Restart = true; break;
                case "--ignore-runtime-litter": options.Diff.IgnoreRuntimeLitter = true; break;
                case "--dir": directories.Add(Path.GetFullPath(Value())); break;
                case "--sarif": options.Sarif.Add(Path.GetFullPath(Value())); break;
                case "--base": options.Base = Value(); break;
                case "--format": options.Format = Value(); break;
                case "--repo": options.Repository = Path.GetFullPath(Value()); break;
                case "--signal": options.Signal = ParseSignal(Value()); break;
                case "--ready-line": options.SetReady(new Readiness.Line(Value())); break;
                case "--ready-file": options.SetReady(new Readiness.FileExists(Path.GetFullPath(Value()))); break;
                case "--ready-port":
                    var port = Value();
                    options.SetReady(new Readiness.Port(int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is > 0 and < 65536 ? number : throw new UsageException($"--ready-port: '{port}' is not a port number")));
                    break;
                case "--timeout":
                    var seconds = Value();
                    options.Timeout = double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 ? TimeSpan.FromSeconds(s) : throw new UsageException($"--timeout: '{seconds}' is not a positive number of seconds");
                    break;
                case "--" when allowCommand:
                    options.Command.AddRange(args.Skip(i + 1));
                    i = args.Length;
                    break;
                default:
                    throw new UsageException($"unknown option '{args[i]}'");
            }
        }

        if (directories.Count > 0)
        {
            options.Snapshot.Directories.Clear();
            foreach (var directory in directories)
                options.Snapshot.Directories.Add(directory);
        }

        return options;
    }

    private void SetReady(Readiness ready) =>
        Ready = Ready is null ? ready : throw new UsageException("give one of --ready-line, --ready-file, --ready-port");

    private static KillSignal ParseSignal(string text)
    {
        var name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal))
            name = name[3..];
        return name switch
        {
            "KILL" or "9" => KillSignal.Kill,
            "TERM" or "15" => KillSignal.Term,
            "INT" or "2" => KillSignal.Int,
            "HUP" or "1" => KillSignal.Hup,
            _ => throw new UsageException($"unknown signal '{text}' (KILL, TERM, INT, HUP)"),
        };
    }
}
