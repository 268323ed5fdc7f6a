using System.CommandLine;
using Statehouse.Cli;

var context = CliContext.CreateDefault();
var root = new RootCommand(ClientCommands.RootDescription);
ServeCommand.Add(root);
ClientCommands.Add(root, context);
return await new CliRunner(root, context).RunAsync(args).ConfigureAwait(false);
