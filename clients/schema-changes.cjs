// graphql-inspector's --onComplete handler (tests/test_schema_changes.py): print the diff's
// changes as one JSON line, so the test can check each breaking one against CHANGELOG.md.
module.exports = ({ breakingChanges, dangerousChanges, nonBreakingChanges }) => {
  const summary = (changes) =>
    changes.map((change) => ({ path: change.path, message: change.message }));
  console.log(
    "SCHEMA-CHANGES " +
      JSON.stringify({
        breaking: summary(breakingChanges),
        dangerous: summary(dangerousChanges),
        safe: summary(nonBreakingChanges),
      }),
  );
};
