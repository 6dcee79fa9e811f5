using KillSafe.Verification;
using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>
/// KillSafe.Verification as users get it: packed, restored from a feed into a program of their own, and run.
/// The isolated guard starts the library's own assembly inside the namespaces, so this proves that the
/// package's layout (one assembly beside Tmds.LibC in the user's output folder) is enough for it.
/// </summary>
public sealed class VerificationPackageTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new("verification-package");

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task A_program_built_against_the_package_runs_an_isolated_guard()
    {
        var feed = Directory.CreateDirectory(_scratch.File("feed")).FullName;
        var (packExit, packOutput) = DotnetCli.Run(Repo.Root, "pack", Path.Combine(Repo.Root, "src", "KillSafe.Verification"), "-c", "Release", "-o", feed, "-nologo");
        Assert.True(packExit == 0, packOutput);
        var package = Assert.Single(Directory.GetFiles(feed, "KillSafe.Verification.*.nupkg"));
        var version = Path.GetFileNameWithoutExtension(package)["KillSafe.Verification.".Length..];

        // The one dependency comes from the packages the repository's own restore already fetched: the feed
        // is complete and the build needs no network.
        var libc = Directory.GetFiles(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages", "tmds.libc"), "*.nupkg", SearchOption.AllDirectories);
        Assert.NotEmpty(libc);
        foreach (var file in libc)
            File.Copy(file, Path.Combine(feed, Path.GetFileName(file)));

        var project = Directory.CreateDirectory(_scratch.File("Consumer")).FullName;
        File.WriteAllText(_scratch.File("Directory.Build.props"), "<Project />");
        File.WriteAllText(_scratch.File("Directory.Packages.props"), "<Project />");
        File.WriteAllText(_scratch.File("nuget.config"), $"""
            <configuration>
              <packageSources><clear /><add key="killsafe-local" value="{feed}" /></packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(project, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net{Environment.Version.Major}.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup><PackageReference Include="KillSafe.Verification" Version="{version}" /></ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), """
            using KillSafe.Verification;

            var command = new GuardedCommand { FileName = "/bin/sh", Arguments = new[] { "-c", $"echo state > /dev/shm/{args[0]}" } };
            var report = await LeakGuard.CheckIsolatedAsync(command);
            foreach (var leftover in report.Leaks.Leftovers)
                Console.WriteLine($"LEFT {leftover.Kind} {leftover.Identity}");
            try
            {
                await LeakGuard.VerifyNoLeaksIsolatedAsync(command);
            }
            catch (LeakException)
            {
                Console.WriteLine("THROWN");
            }
            """);
        var (buildExit, buildOutput) = DotnetCli.Run(project, "build", "-nologo", "-p:RestorePackagesPath=" + _scratch.File("packages"));
        Assert.True(buildExit == 0, buildOutput);

        var token = $"ks-pkg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..30];
        var program = Path.Combine(project, "bin", "Debug", $"net{Environment.Version.Major}.0", "Consumer.dll");
        using var run = ChildProcess.Start(DotnetCli.Host, new[] { program, token }, new Dictionary<string, string?> { ["DOTNET_EnableDiagnostics"] = "0" });
        Assert.True(await run.WaitForExitAsync(TimeSpan.FromMinutes(2)) == 0, run.Output);
        Assert.Contains($"LEFT PosixSharedMemory /dev/shm/{token}", run.Output);
        Assert.Contains("THROWN", run.Output);
        Assert.False(File.Exists("/dev/shm/" + token), "the isolated command's file reached the host");
    }
}
