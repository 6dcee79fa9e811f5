using KillSafe.Verification;
using Xunit;

namespace KillSafe.EndToEnd.Tests.Evidence;

/// <summary>
/// What actually runs in the installed .NET when a process gets SIGTERM, SIGINT, SIGHUP or SIGQUIT, or returns
/// from Main: measured with real child processes, asserted here, and written as a table in docs/signals.md.
/// KS4001 counts a signal as covered only where these measurements say so.
/// </summary>
public sealed class SignalMeasurementTests : SocketEvidence
{
    private const string PlainProgram = """
        using System;
        using System.Runtime.InteropServices;
        using System.Threading;

        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP, PosixSignal.SIGQUIT })
            PosixSignalRegistration.Create(signal, c => Console.WriteLine("ran: PosixSignalRegistration " + c.Signal));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Console.WriteLine("ran: ProcessExit");
        Console.CancelKeyPress += (_, e) => Console.WriteLine("ran: CancelKeyPress " + e.SpecialKey);
        try
        {
            Console.WriteLine("READY");
            if (args[0] != "return")
                Thread.Sleep(Timeout.Infinite);
        }
        finally
        {
            Console.WriteLine("ran: finally");
        }
        """;

    private const string HostProgram = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Hosting;
        using Microsoft.Extensions.Logging;

        var builder = Host.CreateApplicationBuilder(args);
        builder.Logging.ClearProviders();
        builder.Services.AddHostedService<Worker>();
        using var host = builder.Build();
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => Console.WriteLine("ran: ApplicationStopping"));
        host.Run();
        Console.WriteLine("ran: after Run");

        sealed class Worker : IHostedService
        {
            public Task StartAsync(CancellationToken token)
            {
                Console.WriteLine("READY");
                return Task.CompletedTask;
            }

            public Task StopAsync(CancellationToken token)
            {
                Console.WriteLine("ran: StopAsync");
                return Task.CompletedTask;
            }
        }
        """;

    private async Task<(int ExitCode, string[] Ran)> RunAsync(string dll, KillSignal? signal)
    {
        var child = Run(dll, signal is null ? "return" : "wait");
        await child.WaitForOutputAsync("READY", Timeout);
        if (signal is { } s)
            child.Signal(s);
        var exitCode = await child.WaitForExitAsync(Timeout);
        var ran = child.Output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("ran: ", StringComparison.Ordinal)).Select(l => l[5..]).ToArray();
        return (exitCode, ran);
    }

    public static TheoryData<string, int, string> PlainCases() => new()
    {
        // signal, expected exit code, what runs (docs/linux-facts.md "Signals", re-measured here)
        { "TERM", 143, "PosixSignalRegistration SIGTERM" },
        { "HUP", 129, "PosixSignalRegistration SIGHUP" },
        { "INT", 130, "PosixSignalRegistration SIGINT|CancelKeyPress ControlC" },
        { "QUIT", 131, "PosixSignalRegistration SIGQUIT|CancelKeyPress ControlBreak" },
        { "return", 0, "ProcessExit|finally" },
    };

    [Theory]
    [MemberData(nameof(PlainCases))]
    public async Task Plain_console_app(string signal, int exitCode, string expected)
    {
        var dll = Build(PlainProgram, "Signals" + signal);
        var (code, ran) = await RunAsync(dll, signal == "return" ? null : Enum.Parse<KillSignal>(signal, ignoreCase: true));
        Assert.Equal(exitCode, code);
        Assert.Equal(expected.Split('|').OrderBy(x => x), ran.OrderBy(x => x));
    }

    [Fact]
    public async Task KS4003_a_SIGKILL_handler_cannot_be_installed_and_SIGKILL_runs_nothing()
    {
        const string program = """
            using System;
            using System.Runtime.InteropServices;
            using System.Threading;
            try
            {
                PosixSignalRegistration.Create((PosixSignal)9, c => Console.WriteLine("ran: SIGKILL handler"));
                Console.WriteLine("INSTALLED");
            }
            catch (Exception e)
            {
                Console.WriteLine("REFUSED " + e.GetType().Name + ": " + e.Message);
            }

            PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Console.WriteLine("ran: SIGTERM handler"));
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Console.WriteLine("ran: ProcessExit");
            Console.WriteLine("READY");
            Thread.Sleep(Timeout.Infinite);
            """;
        Assert.Contains(await AnalyzerRun.DiagnosticsAsync(program, new KillSafe.Analyzers.Rules.UncatchableSignalAnalyzer()), d => d.Id == "KS4003");
        var child = Run(Build(program, "SigkillHandler"), "wait");
        await child.WaitForOutputAsync("READY", Timeout);
        Assert.Equal(128 + 9, await child.KillAsync(KillSignal.Kill, Timeout));
        Assert.Contains("REFUSED IOException: Invalid argument", child.Output);
        Assert.DoesNotContain("ran:", child.Output);
    }

    public static TheoryData<string, int, string> HostCases() => new()
    {
        // The Generic Host's console lifetime handles SIGTERM, SIGINT and SIGQUIT itself and shuts down cleanly.
        { "TERM", 0, "ApplicationStopping|StopAsync|after Run" },
        { "INT", 0, "ApplicationStopping|StopAsync|after Run" },
        { "QUIT", 0, "ApplicationStopping|StopAsync|after Run" },
        { "HUP", 129, "" },
    };

    [Theory]
    [MemberData(nameof(HostCases))]
    public async Task Generic_host(string signal, int exitCode, string expected)
    {
        var dll = InMemoryProgram.Build(HostProgram, "Host" + signal, Scratch.Path, aspNetCore: true);
        var (code, ran) = await RunAsync(dll, Enum.Parse<KillSignal>(signal, ignoreCase: true));
        Assert.Equal(exitCode, code);
        Assert.Equal(expected.Split('|', StringSplitOptions.RemoveEmptyEntries).OrderBy(x => x), ran.OrderBy(x => x));
    }
}
