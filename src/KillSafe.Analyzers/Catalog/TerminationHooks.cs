using System.Collections.Immutable;

namespace KillSafe.Analyzers.Catalog;

/// <summary>
/// The catchable signals that end a process by default, as a set, and <see cref="Exit"/>: the normal exit
/// (return from Main, <c>Environment.Exit</c>), where <c>ProcessExit</c> handlers run.
/// </summary>
[Flags]
internal enum Signals
{
    None = 0,
    Hup = 1,
    Int = 2,
    Quit = 4,
    Term = 8,

    /// <summary>Not a signal: the process ends normally. A handler that calls <c>Environment.Exit</c> leads to it.</summary>
    Exit = 16,
}

/// <summary>How a termination hook hands over the code it runs.</summary>
internal enum HookShape
{
    /// <summary><c>PosixSignalRegistration.Create(signal, handler)</c>: the signal argument decides what is covered.</summary>
    SignalRegistration,

    /// <summary>An event (<c>Console.CancelKeyPress += handler</c>).</summary>
    Event,

    /// <summary><c>CancellationToken.Register(callback)</c> on the token a property returns (<c>ApplicationStopping</c>).</summary>
    TokenCallback,

    /// <summary>A call that returns when the host shuts down: the code after it runs then (<c>host.Run()</c>).</summary>
    CodeAfterCall,

    /// <summary>An interface method the host calls on shutdown (<c>IHostedService.StopAsync</c>).</summary>
    ImplementedMethod,
}

/// <summary>One mechanism that runs code when the process is asked to end, and the signals it covers.</summary>
/// <param name="Type">Metadata name of the type that declares the member.</param>
internal sealed record TerminationHook(HookShape Shape, string Type, string Member, Signals Covers);

/// <summary>
/// What runs on which signal in .NET 10, as measured in docs/signals.md (the test SignalMeasurementTests
/// asserts every cell). A rule counts a signal as covered only where this table says the code runs.
/// </summary>
internal static class TerminationHooks
{
    /// <summary>The signals the Generic Host's console lifetime handles (it registers them itself).</summary>
    public const Signals HostShutdown = Signals.Term | Signals.Int | Signals.Quit;

    public static readonly ImmutableArray<TerminationHook> All = ImmutableArray.Create(
        new TerminationHook(HookShape.SignalRegistration, "System.Runtime.InteropServices.PosixSignalRegistration", "Create", Signals.None),
        // CancelKeyPress: SIGINT (ControlC) and SIGQUIT (ControlBreak), not SIGTERM or SIGHUP.
        new TerminationHook(HookShape.Event, "System.Console", "CancelKeyPress", Signals.Int | Signals.Quit),
        // ProcessExit and the default context's Unloading run only on a normal exit in .NET 10 (dotnet/runtime
        // PR 115494; docs/linux-facts.md): on no signal.
        new TerminationHook(HookShape.Event, "System.AppDomain", "ProcessExit", Signals.Exit),
        new TerminationHook(HookShape.Event, "System.Runtime.Loader.AssemblyLoadContext", "Unloading", Signals.Exit),
        new TerminationHook(HookShape.TokenCallback, "Microsoft.Extensions.Hosting.IHostApplicationLifetime", "ApplicationStopping", HostShutdown),
        new TerminationHook(HookShape.TokenCallback, "Microsoft.Extensions.Hosting.IHostApplicationLifetime", "ApplicationStopped", HostShutdown),
        new TerminationHook(HookShape.CodeAfterCall, "Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions", "Run", HostShutdown),
        new TerminationHook(HookShape.CodeAfterCall, "Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions", "RunAsync", HostShutdown),
        new TerminationHook(HookShape.CodeAfterCall, "Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions", "WaitForShutdown", HostShutdown),
        new TerminationHook(HookShape.CodeAfterCall, "Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions", "WaitForShutdownAsync", HostShutdown),
        new TerminationHook(HookShape.CodeAfterCall, "Microsoft.AspNetCore.Builder.WebApplication", "Run", HostShutdown),
        new TerminationHook(HookShape.CodeAfterCall, "Microsoft.AspNetCore.Builder.WebApplication", "RunAsync", HostShutdown),
        new TerminationHook(HookShape.ImplementedMethod, "Microsoft.Extensions.Hosting.IHostedService", "StopAsync", HostShutdown));

    /// <summary>
    /// Framework calls that wait, possibly for the life of the program: a removal after one of them is not
    /// "right after the creation" any more (a signal can end the process while it waits).
    /// </summary>
    public static readonly ImmutableHashSet<string> WaitingCalls = ImmutableHashSet.Create(
        "Sleep", "WaitOne", "WaitAll", "WaitAny", "Wait", "Join", "ReadLine", "ReadKey", "Read", "Run", "RunAsync",
        "WaitForShutdown", "WaitForShutdownAsync", "WaitForExit", "Accept", "AcceptAsync", "AcceptSocket", "AcceptTcpClient",
        "Receive", "ReceiveAsync", "ReceiveFrom", "Delay", "GetResult", "Listen");

    /// <summary>
    /// Calls that start the Generic Host (or the older ASP.NET Core WebHost) without waiting for its shutdown:
    /// its lifetime registers SIGTERM, SIGINT and SIGQUIT when it starts, stops the host on them and lets
    /// Main return, so the normal exit (and ProcessExit) follows. Methods of these types with these names.
    /// </summary>
    public static readonly ImmutableArray<(string Type, string Member)> HostStarts = ImmutableArray.Create(
        ("Microsoft.Extensions.Hosting.IHost", "StartAsync"),
        ("Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions", "Start"),
        ("Microsoft.Extensions.Hosting.HostingHostBuilderExtensions", "RunConsoleAsync"),
        ("Microsoft.AspNetCore.Builder.WebApplication", "StartAsync"),
        ("Microsoft.AspNetCore.Builder.WebApplication", "Start"),
        ("Microsoft.AspNetCore.Hosting.IWebHost", "Start"),
        ("Microsoft.AspNetCore.Hosting.IWebHost", "StartAsync"),
        ("Microsoft.AspNetCore.Hosting.WebHostExtensions", "Run"),
        ("Microsoft.AspNetCore.Hosting.WebHostExtensions", "RunAsync"),
        ("Microsoft.AspNetCore.Hosting.WebHostExtensions", "Start"));

    /// <summary>
    /// The names of every call above that runs or starts a host (Run, RunAsync, WaitForShutdown, Start, ...):
    /// for a call that does not bind (a hosting package the analysis cannot see), the name is all there is.
    /// </summary>
    public static readonly ImmutableHashSet<string> HostMethodNames =
        All.Where(h => h.Shape == HookShape.CodeAfterCall).Select(h => h.Member).Concat(HostStarts.Select(h => h.Member)).ToImmutableHashSet();

    /// <summary>
    /// Waits that can last forever when called without a timeout or with <c>Timeout.Infinite</c> (-1): a
    /// program that makes one runs until it is stopped (KS5001's sign of a long-running program).
    /// </summary>
    public static readonly ImmutableArray<(string Type, string Member)> InfiniteWaits = ImmutableArray.Create(
        ("System.Threading.Thread", "Sleep"),
        ("System.Threading.WaitHandle", "WaitOne"),
        ("System.Threading.Tasks.Task", "Delay"));

    /// <summary>
    /// The signal a <c>PosixSignal</c> value or raw signal number names (PosixSignal's members are negative:
    /// SIGHUP -1, SIGINT -2, SIGQUIT -3, SIGTERM -4; raw numbers from signal(7) on x86-64 and arm64).
    /// </summary>
    public static Signals FromPosixSignal(long value) => value switch
    {
        -1 or 1 => Signals.Hup,
        -2 or 2 => Signals.Int,
        -3 or 3 => Signals.Quit,
        -4 or 15 => Signals.Term,
        _ => Signals.None,
    };
}
