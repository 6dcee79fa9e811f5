using System.Text.Json;
using KillSafe.Verification;

namespace KillSafe.Cli;

/// <summary>
/// killsafe scan | sweep | verify | review. Exit codes: 0 clean, 1 something leaks, a restart fails or a
/// removal failed, 2 bad input (a one-line message on stderr, never a stack trace).
/// </summary>
public static class Program
{
    public const int Clean = 0, Leaking = 1, Usage = 2, EnvironmentFailure = 3, Interrupted = 130;

    /// <summary>The names of <c>sweep --kind</c> (docs/design.md, "One vocabulary").</summary>
    internal static readonly Dictionary<string, LeftoverKind> Kinds = new(StringComparer.Ordinal)
    {
        ["sysv-shm"] = LeftoverKind.SysVSharedMemory,
        ["sysv-sem"] = LeftoverKind.SysVSemaphore,
        ["sysv-msg"] = LeftoverKind.SysVMessageQueue,
        ["posix-shm"] = LeftoverKind.PosixSharedMemory,
        ["posix-sem"] = LeftoverKind.PosixSemaphore,
        ["posix-mqueue"] = LeftoverKind.PosixMessageQueue,
        ["socket-file"] = LeftoverKind.UnixSocketFile,
        ["file"] = LeftoverKind.File,
    };

    public static async Task<int> Main(string[] args)
    {
        // Compiled ahead of time, killsafe is also the agent of its isolated runs (docs/design.md, "Verification").
        if (await IsolatedAgent.HostAgentAsync(args).ConfigureAwait(false) is { } agentExitCode)
            return agentExitCode;
        try
        {
            // analyze is killsafe-analyze, with its own options and help: everything after the verb is its.
            if (args.Length > 0 && args[0] == "analyze")
                return await AnalyzeAsync(args[1..]).ConfigureAwait(false);

            var root = Commands.Build(
                scan: result => Scan(Options.From(result)),
                sweep: result => Sweep(Options.From(result)),
                verify: (result, _) => VerifyAsync(Options.From(result)),
                review: result => Review.Run(result.GetValue(Commands.Sarif) ?? [], result.GetValue(Commands.Base), result.GetValue(Commands.Format) ?? "github", result.GetValue(Commands.Repository) ?? Directory.GetCurrentDirectory()),
                root: result => result.GetValue(Commands.Version) ? PrintVersion() : PrintUsage(result));
            var parsed = root.Parse(args, Commands.Parser);
            // --help wins over everything else on the line, as it does for every tool; a directive such as
            // [suggest] (tab completion, docs/verification.md) answers for the line after it.
            var answersItself = parsed.Action is System.CommandLine.Help.HelpAction || (args.Length > 0 && args[0].StartsWith("[suggest", StringComparison.Ordinal));
            if (!answersItself && Commands.ErrorMessage(parsed, args) is { } error)
            {
                if (args.Length == 0)
                    return PrintUsage(parsed);
                throw new UsageException(error);
            }

            // verify handles SIGTERM, SIGHUP and SIGINT itself (it ends the program it started), and the other
            // commands end at once: no handler of the parser's own. Exceptions reach the handlers below.
            return await parsed.InvokeAsync(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("killsafe: " + e.Message);
            return Usage;
        }
        catch (Exception e) when (e is VerificationEnvironmentException or IOException or UnauthorizedAccessException)
        {
            // The machine, not the input: no /proc, a kernel table of a shape KillSafe does not know, no permission.
            Console.Error.WriteLine("killsafe: cannot inspect this machine: " + e.Message.Split('\n')[0]);
            return EnvironmentFailure;
        }
        catch (VerificationException e)
        {
            Console.Error.WriteLine("killsafe: " + e.Message.Split('\n')[0]);
            if (e.Message.Contains('\n', StringComparison.Ordinal))
                Console.Error.WriteLine(e.Message[(e.Message.IndexOf('\n', StringComparison.Ordinal) + 1)..].TrimEnd());
            return Usage;
        }
    }

    private static int PrintVersion()
    {
        // The informational version: the package version, plus the commit when the build knew it.
        var version = typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;
        Console.Out.WriteLine("killsafe " + (version ?? typeof(Program).Assembly.GetName().Version?.ToString() ?? "unknown"));
        return Clean;
    }

    // No command: the root's help, on stderr, and exit 2 (a script that forgot its verb must not pass).
    private static int PrintUsage(System.CommandLine.ParseResult result)
    {
        result.RootCommandResult.Command.Parse(["--help"], Commands.Parser).Invoke(new System.CommandLine.InvocationConfiguration { Output = Console.Error });
        return Usage;
    }

    // killsafe-analyze is a program of its own (it carries Roslyn's workspaces and MSBuild's build host):
    // run it with this process's runtime, pass signals on, and return its exit code.
    private static async Task<int> AnalyzeAsync(string[] args)
    {
        // Beside killsafe, or in analyze/ beside the native killsafe (KillSafe.Cli.csproj says why).
        var tool = Path.Combine(AppContext.BaseDirectory, "killsafe-analyze.dll");
        if (!File.Exists(tool))
            tool = Path.Combine(AppContext.BaseDirectory, "analyze", "killsafe-analyze.dll");
        if (!File.Exists(tool))
            throw new UsageException($"{tool} is missing: reinstall the killsafe tool");
        var info = new System.Diagnostics.ProcessStartInfo(KillRunOptions.DotnetHost) { UseShellExecute = false };
        info.ArgumentList.Add(tool);
        foreach (var argument in args)
            info.ArgumentList.Add(argument);
        return await RunPassingSignalsAsync(info).ConfigureAwait(false);
    }

    // Runs a helper process on this terminal and returns its exit code. SIGINT from a terminal reaches the
    // whole process group; SIGTERM and SIGHUP are passed on by hand.
    private static async Task<int> RunPassingSignalsAsync(System.Diagnostics.ProcessStartInfo info)
    {
        using var helper = System.Diagnostics.Process.Start(info) ?? throw new UsageException($"cannot start {info.FileName}");
        void PassOn(System.Runtime.InteropServices.PosixSignalContext context)
        {
            context.Cancel = true;
            if (!helper.HasExited)
                Tmds.Linux.LibC.kill(helper.Id, context.Signal == System.Runtime.InteropServices.PosixSignal.SIGTERM ? (int)KillSignal.Term : (int)KillSignal.Hup);
        }

        using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, PassOn);
        using var onHup = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, PassOn);
        using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => c.Cancel = true);
        await helper.WaitForExitAsync().ConfigureAwait(false);
        return helper.ExitCode;
    }

    private static (Snapshot Snapshot, LeakReport Report) ScanWithRecords(Options options)
    {
        // A scan reports no listener, and judges no regular file but .NET's named-mutex files.
        var snapshot = Snapshot.Take(options.Snapshot with { IncludeTcp = false, OnlyWhatScanJudges = true });
        return (snapshot, Leaks.Scan(snapshot, options.Diff, LeftoverRecords.Load(LeftoverRecords.DefaultPath)));
    }

    /// <summary>One line per kernel table that was not there: what it lists was not inspected (never "nothing").</summary>
    private static void NoteMissingTables(Snapshot snapshot)
    {
        foreach (var table in snapshot.MissingTables)
            TextOutput.Standard.Note($"note: {table} is not there (a kernel without it, or hidden here): what it lists was not inspected");
    }

    private static int Scan(Options options)
    {
        var (snapshot, report) = ScanWithRecords(options);
        if (options.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new ScanOutput(Scope(options), report.Leftovers, report.Unproven, report.RuntimeLitter, report.MessageQueuesMounted, snapshot.MissingTables), JsonOutput.Default.ScanOutput));
            return report.IsClean ? Clean : Leaking;
        }

        var text = TextOutput.Standard;
        text.Line("scope: " + Scope(options));
        text.Table("proven stale (sweep --apply removes these):", report.Leftovers);
        text.Table("not proven stale (owner unknown; sweep leaves these):", report.Unproven);
        text.Table(".NET runtime litter:", report.RuntimeLitter);
        if (report.Leftovers.Count + report.Unproven.Count + report.RuntimeLitter.Count == 0)
            text.Pass("nothing outlives its owner");
        if (!report.MessageQueuesMounted)
            text.Note("note: /dev/mqueue is not mounted, POSIX message queues were not inspected");
        NoteMissingTables(snapshot);
        return report.IsClean ? Clean : Leaking;
    }

    private static int Sweep(Options options)
    {
        var (snapshot, report) = ScanWithRecords(options);
        var candidates = report.Leftovers.Concat(report.Unproven).Concat(report.RuntimeLitter).ToList();
        if (options.Only.Count > 0)
        {
            var missing = options.Only.Where(name => !candidates.Any(l => Sweeper.VouchName(l) == name)).ToList();
            if (missing.Count > 0)
                throw new UsageException($"--only {missing[0]}: no such leftover in the scope (it is in use, gone, or outside --dir)");
            candidates = candidates.Where(l => options.Only.Contains(Sweeper.VouchName(l))).ToList();
        }

        var actions = Sweeper.Sweep(candidates, new SweepOptions
        {
            Apply = options.Apply,
            Kinds = options.Kinds.Count > 0 ? options.Kinds : null,
            Vouched = new HashSet<string>(options.Only, StringComparer.Ordinal),
        });
        if (options.Apply)
            PruneRecords();
        bool failed = actions.Any(a => a.Outcome == SweepOutcome.Failed);
        if (options.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(
                new SweepOutput(
                    !options.Apply,
                    Scope(options),
                    actions.Count(a => a.Outcome == SweepOutcome.Removed),
                    actions.Count(a => a.Outcome == SweepOutcome.WouldRemove),
                    actions.Count(a => a.Outcome == SweepOutcome.Failed),
                    snapshot.MissingTables,
                    actions.Select(a => new SweepActionOutput(a.Outcome, a.Leftover.Kind, a.Leftover.Identity, a.Leftover.Id, a.Leftover.Owner, a.Reason)).ToList()),
                JsonOutput.Default.SweepOutput));
            return failed ? Leaking : Clean;
        }

        Console.Out.WriteLine("scope: " + Scope(options));
        foreach (var action in actions)
        {
            var verb = action.Outcome switch { SweepOutcome.Removed => "removed", SweepOutcome.WouldRemove => "would remove", SweepOutcome.Failed => "FAILED", _ => "skipped" };
            Console.Out.WriteLine($"{verb,-12} {KindName(action.Leftover.Kind),-12} {action.Leftover.Identity}  {action.Reason}");
        }

        if (actions.Count == 0)
            Console.Out.WriteLine("nothing to sweep");
        NoteMissingTables(snapshot);
        if (!options.Apply)
            Console.Out.WriteLine("dry run: nothing was changed; run with --apply to remove");
        return failed ? Leaking : Clean;
    }

    // Records of objects that are gone now prove nothing any more.
    private static void PruneRecords()
    {
        var path = LeftoverRecords.DefaultPath;
        var records = LeftoverRecords.Load(path);
        if (records.Count == 0)
            return;
        var snapshot = Snapshot.Take(new SnapshotOptions());
        var alive = records.Where(r => r.Id switch
        {
            FileResource file => UnixFile.Stat(file.Path) is { } now && now.Identity == file.File,
            SysVResource sysV => snapshot.SysV.Any(o => o.Kind == sysV.Kind && o.Id == sysV.Id && o.Key == sysV.Key),
            _ => false,
        }).ToList();
        if (alive.Count != records.Count)
            LeftoverRecords.Save(path, alive);
    }

    private static async Task<int> VerifyAsync(Options options)
    {
        if (options.Command.Count == 0)
            throw new UsageException("verify needs a command after --");
        var isolation = new IsolationOptions
        {
            PrivateFolders = options.Snapshot.Directories.ToList(),
            SharedFolders = options.Shared,
            ShareNetwork = options.ShareNetwork,
        };
        IsolationOptions? isolate = null;
        if (!options.Host)
        {
            var support = Isolation.Probe(isolation);
            if (support.Available)
                isolate = isolation;
            else if (options.RestartMode == RestartMode.StartAgain)
                throw new UsageException($"--restart starts the program again over what it left, which needs isolation, and isolation is not available here ({support.Reason}); use --no-restart, or the bind probes of the default");
            else
                Console.Error.WriteLine($"killsafe: isolation is not available here ({support.Reason}); comparing the whole machine instead: objects of other programs may show up, and what the program leaves stays on this machine");
        }
        else if (options.RestartMode == RestartMode.StartAgain)
        {
            throw new UsageException("--restart starts the program again over what it left, which needs isolation: it cannot go with --host");
        }

        // SIGTERM, SIGHUP or SIGINT for verify ends the run: the program's tree on the host, or the namespaces
        // with everything in them when isolated.
        using var stop = new CancellationTokenSource();
        void Stop(System.Runtime.InteropServices.PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
        using var onHup = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, Stop);
        using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
        using var progress = ProgressLine.Standard();
        KillRunReport run;
        try
        {
            run = await KillRun.RunAsync(new KillRunOptions
            {
                FileName = options.Command[0],
                Arguments = options.Command.Skip(1).ToList(),
                Ready = options.Ready,
                Signal = options.Signal,
                Timeout = options.Timeout,
                ExitTimeout = options.ExitTimeout,
                CheckRestart = options.RestartMode != RestartMode.None,
                StartAgain = isolate is not null && options.RestartMode != RestartMode.None,
                Isolation = isolate,
                Snapshot = options.Snapshot,
                Diff = options.Diff,
                Progress = options.Json ? null : progress.Report,
            }, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            progress.Dispose();
            Console.Error.WriteLine("killsafe: verify was stopped by a signal; the program was ended" + (isolate is null ? string.Empty : ", and its namespaces with everything in them"));
            return Interrupted;
        }

        progress.Dispose();
        var isolated = run.Isolation;
        if (isolated is null)
            RecordLeftovers(run, Path.GetFileName(options.Command[0])); // isolated leftovers vanish with the namespaces

        if (options.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(
                new VerifyOutput(
                    run.Passed,
                    isolated is not null,
                    isolated,
                    run.ExitCode,
                    run.SurvivedSignal,
                    run.Leaks.Leftovers,
                    run.Leaks.RuntimeLitter,
                    run.Leaks.NotCounted,
                    run.Leaks.ReadinessFiles,
                    run.Leaks.Hazards,
                    run.Restart.Select(r => new RestartOutput(r.What, r.Succeeded, r.Errno, r.ErrnoName, r.Reason)).ToList(),
                    run.StartedAgain is { } again ? new StartedAgainOutput(again.Started, again.Reason, again.Output) : null,
                    run.Leaks.Suppressions,
                    (long)run.Leaks.SettleTime.TotalMilliseconds,
                    run.Leaks.MessageQueuesMounted),
                JsonOutput.Default.VerifyOutput));
        }
        else
        {
            var text = TextOutput.Standard;
            var signal = "SIG" + run.Signal.ToString().ToUpperInvariant();
            if (isolated is not null)
                text.Line($"isolated: {isolated}");
            if (run.SurvivedSignal)
                text.Note($"the program did not exit on {signal} within {options.ExitTimeout.TotalSeconds:0.#} s (it handled the signal); verify ended it with SIGKILL, and what follows is what that left");
            PrintLeaks(text, run.Leaks);
            if (isolated is not null && run.Leaks.Leftovers.Count > 0)
                text.Line("(isolated: these went with the namespaces when verify ended, and the host never had them; run on a host, the program leaves them there)");
            if (run.StartedAgain is { } again)
            {
                text.Line($"restart: {again}");
                if (!again.Started && again.Output.Trim().Length > 0)
                    text.Line("  its output: " + string.Join("\n  ", again.Output.Trim().Split('\n').TakeLast(10)));
            }

            foreach (var restart in run.Restart)
                text.Line(run.StartedAgain is null ? $"restart check: {restart}" : $"hint, a bind like the program's: {restart}");
            if (run.Passed)
                text.Pass("PASS: nothing left behind, " + RestartVerdict(run));
            else
                text.Fail(run.SurvivedSignal ? $"FAIL: the program survived {signal}" : "FAIL");
        }

        return run.Passed ? Clean : Leaking;
    }

    // What the run left, in the order a person acts on it: the program's own leftovers first. The sections and
    // remarks are the report's own (LeakReport.Describe prints the same, without colour).
    private static void PrintLeaks(TextOutput text, LeakReport leaks)
    {
        if (leaks.IsClean)
            text.Pass("nothing left behind");
        text.Table("left behind (the program's own):", leaks.Leftovers);
        var others = leaks.OtherSections().ToList();
        foreach (var (title, items) in others)
            text.Table(title, items);
        if (leaks.Leftovers.Count + others.Sum(s => s.Items.Count) > 0)
            text.Line();
        foreach (var remark in leaks.Remarks())
            text.Note(remark);
        text.Line($"settled after {leaks.SettleTime.TotalMilliseconds:0} ms");
    }

    /// <summary>What a passing run proved about the restart: a real start, binds like the program's, or nothing.</summary>
    private static string RestartVerdict(KillRunReport run) =>
        run.StartedAgain is { Started: true } ? "and it started again"
        : run.Restart.Count > 0 ? "and its ports and socket paths bind again"
        : "and nothing it held blocks a start (not started again)";

    // What this run proved to be the program's own leftovers, so that a later sweep may remove them.
    private static void RecordLeftovers(KillRunReport run, string command)
    {
        var fresh = LeftoverRecords.Of(run, command).ToList();
        if (fresh.Count == 0)
            return;
        var path = LeftoverRecords.DefaultPath;
        try
        {
            LeftoverRecords.Save(path, LeftoverRecords.Load(path).Concat(fresh));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or VerificationException)
        {
            Console.Error.WriteLine($"killsafe: could not record the leftovers in {path} ({e.Message}); sweep will not know they are stale");
        }
    }

    private static string Scope(Options options)
    {
        var mqueue = MessageQueueMount.IsMounted(options.Snapshot.MQueue) ? options.Snapshot.MQueue : options.Snapshot.MQueue + " (not mounted: not inspected)";
        var kinds = options.Kinds.Count > 0 ? "; kinds: " + string.Join(", ", options.Kinds.Select(KindName)) : string.Empty;
        return $"SysV IPC and {options.Snapshot.DevShm}, {mqueue} (machine-wide, this IPC namespace); socket files and runtime files under {string.Join(", ", options.Snapshot.Directories)} ({options.Snapshot.DirectoryDepth} levels){kinds}";
    }

    /// <summary>The CLI's word for a kind: its <c>--kind</c> name, or for kinds sweep never removes the kind's own name.</summary>
    internal static string KindName(LeftoverKind kind) => Kinds.FirstOrDefault(k => k.Value == kind).Key ?? kind switch
    {
        LeftoverKind.TcpListener => "tcp-listener",
        LeftoverKind.Process => "process",
        _ => kind.ToString(),
    };
}

/// <summary>What verify checks about a restart.</summary>
internal enum RestartMode
{
    /// <summary>Isolated: start the program again (bind probes as hints); on the host: the bind probes.</summary>
    Default,

    /// <summary><c>--restart</c>: start the program again; needs isolation.</summary>
    StartAgain,

    /// <summary><c>--no-restart</c>: neither.</summary>
    None,
}

/// <summary>Bad command-line input.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>What a parsed command line asks for, in the shapes the commands use (Commands defines and checks it).</summary>
internal sealed class Options
{
    public bool Json { get; private init; }

    public bool Apply { get; private init; }

    public RestartMode RestartMode { get; private init; } = RestartMode.Default;

    /// <summary>Run on the host, not isolated.</summary>
    public bool Host { get; private init; }

    public bool ShareNetwork { get; private init; }

    public List<string> Shared { get; private init; } = new();

    public KillSignal Signal { get; private init; } = KillSignal.Kill;

    public Readiness? Ready { get; private init; }

    public TimeSpan Timeout { get; private init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ExitTimeout { get; private init; } = TimeSpan.FromSeconds(10);

    public SnapshotOptions Snapshot { get; private init; } = new();

    public DiffOptions Diff { get; private init; } = new();

    public List<string> Command { get; private init; } = new();

    public HashSet<LeftoverKind> Kinds { get; private init; } = new();

    public List<string> Only { get; private init; } = new();

    public static Options From(System.CommandLine.ParseResult result)
    {
        var host = result.GetValue(Commands.Host);
        var shared = result.GetValue(Commands.Share) ?? new List<string>();
        var shareNetwork = result.GetValue(Commands.ShareNetwork);
        if (host && (shared.Count > 0 || shareNetwork))
            throw new UsageException("--share and --share-network describe an isolated run: they cannot go with --host");

        var only = result.GetValue(Commands.Only) ?? new List<string>();
        var snapshot = new SnapshotOptions();
        var directories = result.GetValue(Commands.Dir) is { Count: > 0 } given ? given : snapshot.Directories.ToList();
        // A path named with --only outside the scanned folders is looked at in its own folder.
        foreach (var path in only.Where(o => o.StartsWith('/')))
        {
            var parent = Path.GetDirectoryName(path)!;
            if (parent != snapshot.DevShm && parent != snapshot.MQueue && !directories.Any(d => path.StartsWith(d.TrimEnd('/') + "/", StringComparison.Ordinal)))
                directories.Add(parent);
        }

        Readiness? ready = result.GetValue(Commands.ReadyLine) is { } line ? new Readiness.Line(line)
            : result.GetValue(Commands.ReadyFile) is { } file ? new Readiness.FileExists(file)
            : result.GetResult(Commands.ReadyPort) is not null ? new Readiness.Port(result.GetValue(Commands.ReadyPort))
            : null;
        return new Options
        {
            Json = result.GetValue(Commands.Json),
            Apply = result.GetValue(Commands.Apply),
            RestartMode = result.GetValue(Commands.Restart) ? RestartMode.StartAgain : result.GetValue(Commands.NoRestart) ? RestartMode.None : RestartMode.Default,
            Host = host,
            Shared = shared,
            ShareNetwork = shareNetwork,
            Signal = Given(result, Commands.Signal, KillSignal.Kill),
            Ready = ready,
            Timeout = Given(result, Commands.Timeout, TimeSpan.FromSeconds(30)),
            ExitTimeout = Given(result, Commands.ExitTimeout, TimeSpan.FromSeconds(10)),
            Snapshot = snapshot with { Directories = directories },
            Diff = new DiffOptions { IgnoreRuntimeLitter = result.GetValue(Commands.IgnoreRuntimeLitter) },
            Command = (result.GetValue(Commands.ProgramToRun) ?? []).ToList(),
            Kinds = (result.GetValue(Commands.Kind) ?? new List<LeftoverKind>()).ToHashSet(),
            Only = only,
        };
    }

    // The option's value when the line gives it, else the default (kept out of the option so that help shows
    // the default in words, not as a TimeSpan).
    private static T Given<T>(System.CommandLine.ParseResult result, System.CommandLine.Option<T> option, T fallback) =>
        result.GetResult(option) is not null ? result.GetValue(option)! : fallback;
}
