using Xunit;

namespace KillSafe.Verification.Tests;

/// <summary>
/// How the watched directories are listed: the type readdir gives agrees with lstat for every kind of file, and
/// a scan's listing (only what a scan judges, without a stat of the rest) gives the verdicts of a full one.
/// Real files, sockets, FIFOs and symlinks in a scratch directory.
/// </summary>
[Collection(KernelState.Name)]
public sealed class DirectoryListingTests : KernelTest
{
    [Fact]
    public void The_type_readdir_gives_is_the_type_lstat_gives_for_every_kind_of_file()
    {
        File.WriteAllText(Path.Combine(Scratch, "regular"), "x");
        Directory.CreateDirectory(Path.Combine(Scratch, "folder"));
        File.CreateSymbolicLink(Path.Combine(Scratch, "link-to-folder"), Path.Combine(Scratch, "folder"));
        File.CreateSymbolicLink(Path.Combine(Scratch, "dangling"), Path.Combine(Scratch, "nothing"));
        Fifo(Path.Combine(Scratch, "pipe"));
        StaleSocketFile(Path.Combine(Scratch, "stale.sock"));

        var entries = UnixFile.ReadDirectory(Scratch);

        Assert.NotNull(entries);
        Assert.Equal(new[] { "dangling", "folder", "link-to-folder", "pipe", "regular", "stale.sock" }, entries!.Select(e => e.Name).Order(StringComparer.Ordinal));
        foreach (var (name, kind) in entries)
        {
            var lstat = UnixFile.Stat(Path.Combine(Scratch, name))!.Kind;
            // ext4, tmpfs and btrfs fill in d_type; a file system that does not gives null, and the stat decides.
            Assert.True(kind is null || kind == lstat, $"{name}: readdir says {kind}, lstat says {lstat}");
        }

        Assert.Contains(entries, e => e.Kind is not null);
        Assert.Null(UnixFile.ReadDirectory(Path.Combine(Scratch, "regular"))); // not a directory
        Assert.Null(UnixFile.ReadDirectory(Path.Combine(Scratch, "nothing")));
    }

    [Fact]
    public void A_scan_listing_holds_only_what_a_scan_judges_and_gives_the_verdicts_of_a_full_listing()
    {
        // Judged by a scan: socket files at every depth, a FIFO with the debugger's name, .NET's named-mutex files.
        Directory.CreateDirectory(Path.Combine(Scratch, "a", "b"));
        StaleSocketFile(Path.Combine(Scratch, "top.sock"));
        StaleSocketFile(Path.Combine(Scratch, "a", "b", "deep.sock"));
        Fifo(Path.Combine(Scratch, "clr-debug-pipe-2147483646-123-in"));
        Directory.CreateDirectory(Path.Combine(Scratch, ".dotnet", "shm"));
        File.WriteAllText(Path.Combine(Scratch, ".dotnet", "shm", "global-mutex"), string.Empty);
        // Not judged by a scan: regular files, folders, symlinks, and what is below a symlinked folder.
        File.WriteAllText(Path.Combine(Scratch, "notes.txt"), "x");
        File.WriteAllText(Path.Combine(Scratch, "a", "b", "data.bin"), "x");
        Directory.CreateDirectory(Path.Combine(Scratch, "elsewhere"));
        StaleSocketFile(Path.Combine(Scratch, "elsewhere", "behind-link.sock"));
        File.CreateSymbolicLink(Path.Combine(Scratch, "link"), Path.Combine(Scratch, "elsewhere"));

        var full = Snapshot.Take(SnapshotOptions);
        var scan = Snapshot.Take(SnapshotOptions with { OnlyWhatScanJudges = true });

        static bool Judged(FileEntry f) =>
            f.Kind is UnixFileKind.Socket or UnixFileKind.Fifo || (f.Kind == UnixFileKind.Regular && f.Path.Contains("/.dotnet/shm/", StringComparison.Ordinal));
        Assert.Contains(full.Files, f => f.Kind == UnixFileKind.Regular && !Judged(f)); // the full listing has the rest
        Assert.Contains(full.Files, f => f.Kind is UnixFileKind.Directory or UnixFileKind.Symlink);
        Assert.Equal(
            full.Files.Where(Judged).Select(f => f.Path).Order(StringComparer.Ordinal),
            scan.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Equal(5, scan.Files.Count); // 3 sockets (one in the folder the link names), the FIFO, the mutex file
        Assert.DoesNotContain(scan.Files, f => f.Path.Contains("/link/", StringComparison.Ordinal));

        static string[] Verdicts(LeakReport report) => report.Leftovers.Concat(report.Unproven).Concat(report.RuntimeLitter)
            .Select(l => $"{l.Identity} {l.Owner.Alive} {l.IsRuntimeLitter}").Order(StringComparer.Ordinal).ToArray();
        var scanVerdicts = Verdicts(Leaks.Scan(scan));
        Assert.Equal(Verdicts(Leaks.Scan(full)), scanVerdicts);
        Assert.Contains(scanVerdicts, v => v.StartsWith(Path.Combine(Scratch, "a", "b", "deep.sock") + " Dead", StringComparison.Ordinal));
        Assert.Contains(scanVerdicts, v => v.StartsWith(Path.Combine(Scratch, "clr-debug-pipe-2147483646-123-in") + " Dead True", StringComparison.Ordinal));
    }
}
