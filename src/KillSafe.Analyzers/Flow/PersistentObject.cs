using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// A creation of any kernel-persistent object the catalog knows and that only an explicit removal cleans up
/// (docs/linux-facts.md: the kernel removes none of them when the process dies): SysV and POSIX IPC objects
/// (<see cref="KernelObjectCreation"/>) and socket files bound with raw <c>bind(2)</c>
/// (<see cref="UnixSocketBinding"/>; managed <c>Socket.Dispose</c> removes its own file). The lifetime
/// rules KS4001 and KS4002 ask about all of them at once, through this one view.
/// </summary>
internal sealed class PersistentObject
{
    /// <summary>The catalog kinds a persistent object can be of.</summary>
    public static readonly ResourceKind[] Kinds =
    {
        ResourceKind.SysVSharedMemory, ResourceKind.SysVSemaphore, ResourceKind.SysVMessageQueue,
        ResourceKind.PosixSemaphore, ResourceKind.PosixSharedMemory, ResourceKind.PosixMessageQueue,
        ResourceKind.UnixSocketFile,
    };

    private PersistentObject(IOperation operation, ResourceKind kind, IReadOnlyList<ResourceIdentity> identities, string api, string display, IOperation? managedSocket = null)
    {
        ManagedSocket = managedSocket;
        Operation = operation;
        Kind = kind;
        Identities = identities;
        Api = api;
        Display = display;
    }

    public IOperation Operation { get; }

    /// <summary>
    /// The socket of a managed <c>Socket.Bind</c> to a path (only with <c>includeManagedSockets</c>): its
    /// <c>Dispose</c> removes the file (docs/linux-facts.md), so disposing it is a removal too.
    /// </summary>
    public IOperation? ManagedSocket { get; }

    public ResourceKind Kind { get; }

    /// <summary>Every identity a removal may use to name the object (never empty).</summary>
    public IReadOnlyList<ResourceIdentity> Identities { get; }

    /// <summary>The creating call's C or .NET name, for messages.</summary>
    public string Api { get; }

    /// <summary>The object's name, path or variable, for messages.</summary>
    public string Display { get; }

    /// <summary>What kind of object, in words, for messages.</summary>
    public string KindText => Kind switch
    {
        ResourceKind.SysVSharedMemory => "the SysV shared memory segment",
        ResourceKind.SysVSemaphore => "the SysV semaphore set",
        ResourceKind.SysVMessageQueue => "the SysV message queue",
        ResourceKind.PosixSemaphore => "the POSIX semaphore",
        ResourceKind.PosixSharedMemory => "the POSIX shared memory object",
        ResourceKind.PosixMessageQueue => "the POSIX message queue",
        _ => "the Unix socket file",
    };

    /// <summary>The persistent object <paramref name="operation"/> creates, or null (not a creation, or an identity that cannot be followed).</summary>
    /// <param name="includeManagedSockets">
    /// Also the socket files of managed <c>Socket.Bind</c>, identified by path and by socket: their removal
    /// includes <c>Dispose</c> of the socket, which a signal skips as surely as any other cleanup (KS4001).
    /// </param>
    public static PersistentObject? TryCreate(IOperation operation, IdentityResolver resolver, bool includeManagedSockets = false)
    {
        if (operation is IInvocationOperation call && resolver.Catalog.Match(call.TargetMethod) is { Kind: ResourceKind.UnixSocketFile, Role: ApiRole.Create } socketRow)
        {
            if (socketRow.Shape != ApiShape.Native)
                return includeManagedSockets ? ManagedBinding(call, resolver) : null;
            var binding = UnixSocketBinding.TryCreate(call, resolver);
            return binding is null || binding.Path.IsUnknown
                ? null
                : new PersistentObject(operation, ResourceKind.UnixSocketFile, new[] { binding.Path }, call.TargetMethod.Name, binding.DisplayPath);
        }

        var created = KernelObjectCreation.TryCreate(operation, resolver);
        if (created is null || created.Identities.Count == 0 || created.Kind == ResourceKind.UnixSocketFile)
            return null;
        return new PersistentObject(operation, created.Kind, created.Identities, KernelObjectRule.ApiName(created), created.Display);
    }

    /// <summary>
    /// <c>socket.Bind(new UnixDomainSocketEndPoint(path))</c> (the runtime's endpoint: the project's own
    /// endpoint types leave the file on Dispose): the path when it can be followed, and the socket.
    /// </summary>
    private static PersistentObject? ManagedBinding(IInvocationOperation call, IdentityResolver resolver)
    {
        var binding = UnixSocketBinding.TryCreate(call, resolver);
        if (binding is null || !binding.PathMakesEndPoint || call.Instance is null)
            return null;
        var socket = resolver.Resolve(call.Instance);
        var identities = new[] { binding.Path, socket }.Where(i => !i.IsUnknown).ToList();
        return identities.Count == 0 ? null : new PersistentObject(call, ResourceKind.UnixSocketFile, identities, call.TargetMethod.Name, binding.DisplayPath, call.Instance);
    }

    /// <summary>The removals of this object's kind (IPC_RMID, *_unlink, unlink, the user's configured helpers; Dispose of a managed socket).</summary>
    public ActionFinder Removals(IdentityResolver resolver, System.Collections.Immutable.ImmutableHashSet<string> configuredHelpers) =>
        ManagedSocket is null
            ? KernelObjectRule.Removals(resolver, Kind, configuredHelpers)
            : new ActionFinder(resolver, (_, row) => row.Kind == ResourceKind.UnixSocketFile && row.Role is ApiRole.Remove or ApiRole.RemoveByClose, configuredHelpers: configuredHelpers, summaryKey: "remove-or-close:" + ResourceKind.UnixSocketFile);

    /// <summary>Removals of any persistent kind (and Dispose of managed sockets): what a signal handler removes may be any of the program's objects.</summary>
    public static ActionFinder AnyRemovals(IdentityResolver resolver, System.Collections.Immutable.ImmutableHashSet<string> configuredHelpers) =>
        new ActionFinder(resolver, (call, row) => (row.Role == ApiRole.Remove || (row.Role == ApiRole.RemoveByClose && row.Kind == ResourceKind.UnixSocketFile)) && Kinds.Contains(row.Kind) && KernelObjectCreation.HasRequiredFlag(row, call.Arguments, resolver.Catalog), configuredHelpers: configuredHelpers);

    /// <summary>
    /// True when the managed socket is a local declared with <c>using</c> (or a <c>using</c> statement's
    /// resource): the program disposes it when the scope ends, which is its intent to remove the file.
    /// </summary>
    public bool DisposedByUsing()
    {
        if (ManagedSocket is null || IdentityResolver.Strip(ManagedSocket) is not ILocalReferenceOperation { Local: { } local })
            return false;
        foreach (var operation in IdentityResolver.Root(Operation).DescendantsAndSelf())
        {
            var declarations = operation switch
            {
                IUsingDeclarationOperation declaration => declaration.DeclarationGroup.Declarations,
                IUsingOperation { Resources: IVariableDeclarationGroupOperation group } => group.Declarations,
                _ => System.Collections.Immutable.ImmutableArray<IVariableDeclarationOperation>.Empty,
            };
            if (declarations.SelectMany(d => d.Declarators).Any(d => SymbolEqualityComparer.Default.Equals(d.Symbol, local)))
                return true;
        }

        return false;
    }

    /// <summary>True when <paramref name="removed"/> names this object for certain.</summary>
    public bool IsNamedBy(ResourceIdentity removed) => !removed.IsUnknown && Identities.Contains(removed);

    /// <summary>True when <paramref name="removed"/> may name this object (it names it, or what it names is unknown).</summary>
    public bool MayBeNamedBy(ResourceIdentity removed) => removed.IsUnknown || Identities.Contains(removed);

    /// <summary>True when one of <paramref name="removals"/> may name this object.</summary>
    public bool MayBeRemovedBy(IEnumerable<ResourceIdentity> removals) => removals.Any(MayBeNamedBy);
}
