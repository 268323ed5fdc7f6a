using System.Collections.Concurrent;
using Grpc.Core;
using Statehouse.V1;

namespace Statehouse.Client.Tests.Fakes;

/// <summary>A Cluster service that answers with a scripted membership and records the changes asked of it.</summary>
internal sealed class FakeCluster : Cluster.ClusterBase
{
    private readonly ConcurrentQueue<Func<Exception>> _failBefore = new();

    /// <summary>What every call answers (after an add or a remove, the membership it left).</summary>
    public ClusterMembersResponse Membership { get; set; } = new() { Header = new ResponseHeader { Revision = 1, NodeId = "n1" } };

    /// <summary>How long every call takes before it answers.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Every call: method name and its argument (empty for Members).</summary>
    public ConcurrentQueue<(string Method, string Argument)> Calls { get; } = new();

    /// <summary>The next <paramref name="count"/> calls fail before doing anything.</summary>
    public void FailNext(int count, Func<Exception> error)
    {
        for (var i = 0; i < count; i++)
        {
            _failBefore.Enqueue(error);
        }
    }

    public override Task<ClusterMembersResponse> Members(ClusterMembersRequest request, ServerCallContext context) =>
        AnswerAsync("Members", string.Empty, context);

    public override Task<ClusterMembersResponse> AddMember(AddMemberRequest request, ServerCallContext context) =>
        AnswerAsync("AddMember", request.RaftAddress, context);

    public override Task<ClusterMembersResponse> RemoveMember(RemoveMemberRequest request, ServerCallContext context) =>
        AnswerAsync("RemoveMember", request.Member, context);

    private async Task<ClusterMembersResponse> AnswerAsync(string method, string argument, ServerCallContext context)
    {
        Calls.Enqueue((method, argument));
        if (_failBefore.TryDequeue(out var error))
        {
            throw error();
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.CancellationToken);
        }

        return Membership;
    }
}
