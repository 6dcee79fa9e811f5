using KillSafe.Verification;
using Xunit;

namespace KillSafe.Verification.Tests;

/// <summary>The names the .NET runtime gives its own files, including names cut short by the socket path limit.</summary>
public sealed class RuntimeLitterNameTests
{
    private static readonly Ownership Attribution = new(Snapshot.Take(NoDirectories()));

    private static SnapshotOptions NoDirectories()
    {
        var options = new SnapshotOptions();
        options.Directories.Clear();
        return options;
    }

    [Theory]
    [InlineData("dotnet-diagnostic-2147483646-123456-socket")]
    [InlineData("dotnet-diagnostic-2147483646-123456-soc")] // a long TMPDIR: the runtime cut the name at 107 bytes
    [InlineData("dotnet-diagnostic-2147483646-123456-")]
    [InlineData("clr-debug-pipe-2147483646-123456-in")]
    public void Runtime_files_name_their_owner_even_when_cut_short(string name)
    {
        var owner = Attribution.RuntimeLitterOwner("/tmp/x/" + name);
        Assert.NotNull(owner);
        Assert.Equal(2147483646, owner!.Process!.Pid);
        Assert.Equal(Liveness.Dead, owner.Alive);
    }

    [Theory]
    [InlineData("dotnet-diagnostic-2147483646-1234")] // cut inside the key: the owner cannot be told
    [InlineData("dotnet-diagnostic-2147483646-123456-socketx")]
    [InlineData("app.sock")]
    public void Other_names_are_not_runtime_files(string name) =>
        Assert.Null(Attribution.RuntimeLitterOwner("/tmp/x/" + name));
}
