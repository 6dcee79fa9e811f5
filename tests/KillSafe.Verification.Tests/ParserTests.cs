using System.Net;
using KillSafe.Verification.Proc;
using Xunit;

namespace KillSafe.Verification.Tests;

/// <summary>The /proc parsers on real tables, known rows, and malformed or truncated text.</summary>
public sealed class ParserTests
{
    private const string UnixTable = "Num       RefCount Protocol Flags    Type St Inode Path\n" +
        "0000000000000000: 00000002 00000000 00010000 0001 01 4242 /run/my app.sock\n" +
        "0000000000000000: 00000002 00000000 00000000 0002 01 4343 @abstract-name\n" +
        "0000000000000000: 00000003 00000000 00000000 0001 03 4444\n";

    private const string TcpTableText = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5555 1 0000000000000000 100 0 0 10 0\n" +
        "   1: 0100007F:1F90 0100007F:D431 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n";

    private const string Tcp6TableText = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
        "   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6666 1 0000000000000000 100 0 0 10 0\n";

    private const string ShmTable = "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n" +
        "         0         7   600                  4096  1234  1234      0     0     0     0     0          0          0 1795420200                     0                     0\n";

    [Fact]
    public void Unix_table_rows_give_path_abstract_name_and_listening()
    {
        var rows = UnixSocketTable.Parse(UnixTable);
        Assert.Equal(new UnixSocketEntry(4242, "/run/my app.sock", false, true, 1), rows[0]);
        Assert.Equal(new UnixSocketEntry(4343, "abstract-name", true, false, 2), rows[1]);
        Assert.Null(rows[2].Path);
    }

    [Fact]
    public void Tcp_rows_give_endpoints_states_and_inodes()
    {
        var rows = TcpTable.Parse(TcpTableText);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), rows[0].Local);
        Assert.True(rows[0].IsListening);
        Assert.Equal(5555, rows[0].Inode);
        Assert.True(rows[1].IsTimeWait);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 54321), rows[1].Remote);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 8081), TcpTable.Parse(Tcp6TableText, "/proc/net/tcp6")[0].Local);
    }

    [Fact]
    public void Shm_rows_give_creator_attach_count_and_removal_command()
    {
        var segment = Assert.Single(SysVIpcTable.Parse(SysVKind.SharedMemory, ShmTable));
        Assert.Equal(7, segment.Id);
        Assert.Equal(1234, segment.CreatorPid);
        Assert.Equal(0, segment.Attached);
        Assert.Equal(4096, segment.Size);
        Assert.Equal("ipcrm -m 7", segment.RemovalCommand);
    }

    [Theory]
    [InlineData("-1", -1L)] // keys print as signed decimals
    [InlineData("0", 0L)]
    [InlineData("999999999999999999", 999999999999999999L)] // 18 digits: the digit loop
    [InlineData("9223372036854775807", long.MaxValue)] // 19 digits: long.TryParse
    [InlineData("-9223372036854775808", long.MinValue)]
    [InlineData("+5", 5L)] // not what the kernel prints, but a number
    public void Decimal_fields_parse_at_every_length(string size, long expected)
    {
        var table = ShmTable.Replace("                  4096 ", $" {size,21} ", StringComparison.Ordinal);
        Assert.Equal(expected, Assert.Single(SysVIpcTable.Parse(SysVKind.SharedMemory, table)).Size);
    }

    [Theory]
    [InlineData("9223372036854775808")] // one past long.MaxValue
    [InlineData("40x6")]
    [InlineData("-")]
    [InlineData("4-096")]
    public void Decimal_fields_that_are_not_longs_are_parse_errors(string size)
    {
        var table = ShmTable.Replace("                  4096 ", $" {size,21} ", StringComparison.Ordinal);
        var error = Assert.Throws<ProcParseException>(() => SysVIpcTable.Parse(SysVKind.SharedMemory, table));
        Assert.Contains("field 4", error.Message, StringComparison.Ordinal);
        Assert.Contains(size, error.Message, StringComparison.Ordinal); // the row is quoted
    }

    [Fact]
    public void Blank_lines_and_a_missing_final_newline_do_not_change_the_rows()
    {
        var table = ShmTable.Replace("\n", "\n\n   \n", StringComparison.Ordinal).TrimEnd('\n', ' ');
        Assert.Equal(SysVIpcTable.Parse(SysVKind.SharedMemory, ShmTable), SysVIpcTable.Parse(SysVKind.SharedMemory, table));
    }

    [Fact]
    public void Stat_lines_with_spaces_and_parentheses_in_the_command_parse()
    {
        var fields = string.Join(' ', Enumerable.Range(6, 47)); // field N holds N from field 6 on
        var stat = ProcStat.Parse($"4321 (my (odd) prog) S 1 4321 {fields}");
        Assert.Equal("my (odd) prog", stat.Command);
        Assert.Equal(1, stat.ParentPid);
        Assert.Equal(4321, stat.ProcessGroup);
        Assert.Equal(22, stat.StartTime); // field 22 holds 22 in this line
    }

    [Fact]
    public void The_real_tables_of_this_machine_parse()
    {
        var snapshot = Snapshot.Take();
        Assert.Contains(snapshot.Processes, p => p.Pid == Environment.ProcessId);
        Assert.StartsWith("net:[", snapshot.NetNamespace);
        Assert.True(snapshot.BootTime > 0);
    }

    [Fact]
    public void Malformed_and_truncated_tables_throw_only_the_documented_parse_error()
    {
        var texts = new[] { UnixTable, TcpTableText, Tcp6TableText, ShmTable, File.ReadAllText("/proc/self/stat") };
        var random = new Random(3);
        int parsed = 0, rejected = 0;
        foreach (var text in texts)
        {
            for (int cut = 0; cut <= text.Length; cut++)
                Count(text[..cut]);
            for (int i = 0; i < 300; i++)
            {
                var chars = text.ToCharArray();
                chars[random.Next(chars.Length)] = "x: ()\n0F-"[random.Next(9)];
                Count(new string(chars));
            }
        }

        Assert.True(parsed > 0 && rejected > 0, $"parsed {parsed}, rejected {rejected}: the corpus must exercise both outcomes");

        void Count(string text)
        {
            foreach (var parse in new Action[]
            {
                () => UnixSocketTable.Parse(text),
                () => TcpTable.Parse(text),
                () => SysVIpcTable.Parse(SysVKind.SharedMemory, text),
                () => ProcStat.Parse(text),
            })
            {
                try
                {
                    parse();
                    parsed++;
                }
                catch (ProcParseException)
                {
                    rejected++;
                }
            }
        }
    }
}
