using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// Whether the member that creates a resource hands it over to a new owner, who then decides about its
/// cleanup (the rules prefer silence): it returns it, or stores it in another object's field or property,
/// or (when the rule says so) in a field or property of its own type, or passes it to framework code
/// (<c>list.Add(process)</c>).
/// </summary>
internal static class HandOver
{
    public static bool InMember(IOperation creation, Func<ResourceIdentity, bool> names, IdentityResolver resolver, bool ownFields, bool frameworkCalls) =>
        IdentityResolver.Root(creation).DescendantsAndSelf().Any(o => o switch
        {
            IReturnOperation { ReturnedValue: { } value } => names(resolver.Resolve(value)),
            ISimpleAssignmentOperation { Target: IFieldReferenceOperation or IPropertyReferenceOperation } assignment =>
                (ownFields || !OfThisObject(assignment.Target)) && names(resolver.Resolve(assignment.Value)),
            IArgumentOperation { Parent: IInvocationOperation { TargetMethod.DeclaringSyntaxReferences.IsEmpty: true } } argument =>
                frameworkCalls && names(resolver.Resolve(argument.Value)),
            _ => false,
        });

    private static bool OfThisObject(IOperation target) => target switch
    {
        IFieldReferenceOperation field => field.Instance is null or IInstanceReferenceOperation,
        IPropertyReferenceOperation property => property.Instance is null or IInstanceReferenceOperation,
        _ => false,
    };
}
