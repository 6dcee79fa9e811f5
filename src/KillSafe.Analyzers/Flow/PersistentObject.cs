using System.Collections.Generic;
using System.Linq;
using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow
{
    /// <summary>
    /// A creation of any kernel-persistent object the catalog knows and that only an explicit removal cleans up
    /// (FACTS.md: the kernel removes none of them when the process dies): SysV and POSIX IPC objects
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

        private PersistentObject(IOperation operation, ResourceKind kind, IReadOnlyList<ResourceIdentity> identities, string api, string display)
        {
            Operation = operation;
            Kind = kind;
            Identities = identities;
            Api = api;
            Display = display;
        }

        public IOperation Operation { get; }

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
        public static PersistentObject? TryCreate(IOperation operation, IdentityResolver resolver)
        {
            if (operation is IInvocationOperation call && resolver.Catalog.Match(call.TargetMethod) is { Kind: ResourceKind.UnixSocketFile, Role: ApiRole.Create } socketRow)
            {
                if (socketRow.Shape != ApiShape.Native)
                    return null; // Socket.Dispose removes the file it bound (FACTS.md)
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

        /// <summary>The removals of this object's kind (IPC_RMID, *_unlink, unlink, the user's configured helpers).</summary>
        public ActionFinder Removals(IdentityResolver resolver, System.Collections.Immutable.ImmutableHashSet<string> configuredHelpers) =>
            KernelObjectRule.Removals(resolver, Kind, configuredHelpers);

        /// <summary>Removals of any persistent kind: what a signal handler removes may be any of the program's objects.</summary>
        public static ActionFinder AnyRemovals(IdentityResolver resolver, System.Collections.Immutable.ImmutableHashSet<string> configuredHelpers) =>
            new ActionFinder(resolver, (call, row) => row.Role == ApiRole.Remove && Kinds.Contains(row.Kind) && KernelObjectCreation.HasRequiredFlag(row, call.Arguments, resolver.Catalog), configuredHelpers: configuredHelpers);

        /// <summary>True when <paramref name="removed"/> names this object for certain.</summary>
        public bool IsNamedBy(ResourceIdentity removed) => !removed.IsUnknown && Identities.Contains(removed);

        /// <summary>True when <paramref name="removed"/> may name this object (it names it, or what it names is unknown).</summary>
        public bool MayBeNamedBy(ResourceIdentity removed) => removed.IsUnknown || Identities.Contains(removed);

        /// <summary>True when one of <paramref name="removals"/> may name this object.</summary>
        public bool MayBeRemovedBy(IEnumerable<ResourceIdentity> removals) => removals.Any(MayBeNamedBy);
    }
}
